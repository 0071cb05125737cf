/* The redaction editor (served as /assets/redact.js; no inline script: CSP script-src 'self').
 *
 * The page (api/web/templates/release_edit.html) shows one page image with the record's boxes and
 * the open suggestions, the box list and the suggestion forms; this script makes it an editor:
 * - page navigation without reloading (上一页/下一页, 跳至), the address kept in step;
 * - a new box drawn by dragging on the page (pointer events: mouse, pen and touch), with the ground
 *   chosen in the toolbar; a box selected by a click, its ground changed or the box deleted in the list;
 * - 保存遮盖 posts the whole box list as JSON (X-CSRF-Token header) to .../boxes and shows the new
 *   state or the refusal; 采纳/不采纳 save unsaved boxes first, then post their form as usual.
 * Coordinates are PDF points with the origin at the page's top-left corner; on screen a point is
 * (displayed width / page width in points) pixels, so boxes are placed in percentages of the page.
 */
(function () {
  "use strict";
  var root = document.getElementById("editor");
  var stateEl = document.getElementById("editor-state");
  if (!root || !stateEl) return;
  var state = JSON.parse(stateEl.textContent);
  var csrf = root.getAttribute("data-csrf");
  var caseId = root.getAttribute("data-case");
  var view = document.getElementById("page-view");
  var image = document.getElementById("page-image");
  var layer = document.getElementById("boxes-layer");
  var message = document.getElementById("editor-message");
  var groundSelect = document.getElementById("ground");
  var saveButton = document.getElementById("save-boxes");
  var unsaved = document.getElementById("unsaved");
  var page = state.page;
  var boxes = state.boxes.slice();
  var selected = -1;
  var dirty = false;
  var MIN_SIZE = 2; // points: a click is not a box

  function base() {
    return "/cases/" + caseId + "/release/" + state.record;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function labelOf(ground) {
    return state.labels[ground] || ground;
  }

  function size() {
    return state.sizes[page - 1];
  }

  function place(div, rect) {
    var s = size();
    div.style.left = (rect[0] / s[0]) * 100 + "%";
    div.style.top = (rect[1] / s[1]) * 100 + "%";
    div.style.width = ((rect[2] - rect[0]) / s[0]) * 100 + "%";
    div.style.height = ((rect[3] - rect[1]) / s[1]) * 100 + "%";
  }

  function say(text, ok) {
    message.textContent = text || "";
    message.className = ok ? "flash ok" : "flash";
  }

  function setDirty(value) {
    dirty = value;
    if (saveButton) saveButton.hidden = false;
    if (saveButton) saveButton.disabled = !dirty;
    if (unsaved) unsaved.textContent = dirty ? "有未保存的改动" : "";
  }

  /* The boxes and open suggestions of the current page, over the image. */
  function drawPage() {
    layer.textContent = "";
    boxes.forEach(function (b, i) {
      if (b.page !== page) return;
      var div = el("div", { "class": "rbox" + (i === selected ? " selected" : ""), "data-index": String(i),
        title: labelOf(b.ground) + (b.by ? " · " + b.by : "") });
      div.appendChild(el("span", {}, labelOf(b.ground)));
      place(div, b.box);
      div.addEventListener("pointerdown", function (ev) {
        if (!state.editable) return;
        ev.stopPropagation();
        selected = i;
        render();
      });
      layer.appendChild(div);
    });
    state.suggestions.forEach(function (s) {
      if (s.page !== page || s.status !== "open") return;
      var div = el("div", { "class": "rbox suggested", title: "建议遮盖：" + s.text });
      div.appendChild(el("span", {}, "建议"));
      place(div, s.box);
      layer.appendChild(div);
    });
  }

  function groundPicker(value, onChange) {
    var select = el("select", { "aria-label": "理由" });
    Object.keys(state.labels).forEach(function (g) {
      var opt = el("option", { value: g }, state.labels[g]);
      if (g === value) opt.selected = true;
      select.appendChild(opt);
    });
    select.addEventListener("change", function () { onChange(select.value); });
    return select;
  }

  /* The box list: every box of the record; on the current page highlighted. */
  function drawList() {
    var body = document.querySelector("#box-list tbody");
    body.textContent = "";
    document.getElementById("box-count").textContent = String(boxes.length);
    if (!boxes.length) {
      var empty = el("tr");
      empty.appendChild(el("td", { colspan: "4", "class": "muted" }, "尚无遮盖框"));
      body.appendChild(empty);
    }
    boxes.forEach(function (b, i) {
      var tr = el("tr", { "class": (b.page === page ? "current-page" : "") + (i === selected ? " selected-row" : ""),
        "data-index": String(i) });
      var pageCell = el("td");
      var link = el("a", { href: "?page=" + b.page }, String(b.page));
      link.addEventListener("click", function (ev) { ev.preventDefault(); selected = i; goTo(b.page); });
      pageCell.appendChild(link);
      tr.appendChild(pageCell);
      var groundCell = el("td");
      if (state.editable) {
        groundCell.appendChild(groundPicker(b.ground, function (g) { b.ground = g; setDirty(true); render(); }));
      } else {
        groundCell.textContent = labelOf(b.ground);
      }
      tr.appendChild(groundCell);
      var who = b.by ? b.by + (b.source === "suggested" ? "（采纳建议）" : "") : "（未保存）";
      tr.appendChild(el("td", {}, who));
      var actions = el("td");
      if (state.editable) {
        var del = el("button", { type: "button", "class": "secondary delete-box" }, "删除");
        del.addEventListener("click", function () { remove(i); });
        actions.appendChild(del);
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    document.querySelectorAll("#suggestion-list tr[data-page]").forEach(function (tr) {
      tr.classList.toggle("current-page", Number(tr.getAttribute("data-page")) === page);
    });
  }

  /* "第1-3、5页", as the server writes it (api/web/release_view.pages_text). */
  function pagesText(pages) {
    var sorted = pages.slice().sort(function (a, b) { return a - b; });
    var runs = [];
    sorted.forEach(function (p) {
      var last = runs[runs.length - 1];
      if (last && p === last[1] + 1) last[1] = p;
      else if (!last || p > last[1]) runs.push([p, p]);
    });
    return "第" + runs.map(function (r) { return r[0] === r[1] ? String(r[0]) : r[0] + "-" + r[1]; }).join("、") + "页";
  }

  /* The summary line under the title, for the boxes as saved. */
  function drawSummary() {
    var line = document.getElementById("record-summary");
    var badge = document.getElementById("record-status");
    if (badge && state.status) badge.textContent = state.status;
    if (!line) return;
    var byGround = {};
    var pages = {};
    state.boxes.forEach(function (b) {
      (byGround[b.ground] = byGround[b.ground] || {})[b.page] = true;
      pages[b.page] = true;
    });
    var parts = [state.pages + "页", "遮盖框" + state.boxes.length + "处", "遮盖页" + Object.keys(pages).length + "页"];
    Object.keys(byGround).sort().forEach(function (g) {
      parts.push(labelOf(g) + "（" + pagesText(Object.keys(byGround[g]).map(Number)) + "）");
    });
    line.textContent = parts.join(" · ");
  }

  function render() {
    drawPage();
    drawList();
  }

  function remove(i) {
    boxes.splice(i, 1);
    selected = -1;
    setDirty(true);
    render();
  }

  function goTo(n) {
    n = Math.max(1, Math.min(state.pages, n | 0));
    if (n !== page) {
      page = n;
      image.src = base() + "/pages/" + n + ".png";
      image.alt = "第" + n + "页";
      document.getElementById("page-no").textContent = String(n);
      document.getElementById("goto").value = String(n);
      document.getElementById("prev-page").hidden = n <= 1;
      document.getElementById("next-page").hidden = n >= state.pages;
      document.getElementById("prev-page").setAttribute("href", "?page=" + (n - 1));
      document.getElementById("next-page").setAttribute("href", "?page=" + (n + 1));
      document.querySelectorAll("form.decide input[name=page]").forEach(function (i) { i.value = String(n); });
      history.replaceState(null, "", "?page=" + n);
    }
    render();
  }

  document.getElementById("prev-page").addEventListener("click", function (ev) { ev.preventDefault(); goTo(page - 1); });
  document.getElementById("next-page").addEventListener("click", function (ev) { ev.preventDefault(); goTo(page + 1); });
  document.getElementById("goto-page").addEventListener("submit", function (ev) {
    ev.preventDefault();
    goTo(Number(document.getElementById("goto").value));
  });
  document.querySelectorAll("#suggestion-list a").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      goTo(Number(new URL(a.href).searchParams.get("page")));
    });
  });

  /* --- drawing ------------------------------------------------------------------------- */

  function pointOf(ev) {
    var r = view.getBoundingClientRect();
    var s = size();
    var x = Math.max(0, Math.min(r.width, ev.clientX - r.left)) * (s[0] / r.width);
    var y = Math.max(0, Math.min(r.height, ev.clientY - r.top)) * (s[1] / r.height);
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }

  var start = null;
  var ghost = null;

  function rectOf(a, b) {
    return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
  }

  if (state.editable) {
    view.classList.add("drawable");
    view.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      ev.preventDefault();
      view.setPointerCapture(ev.pointerId);
      start = pointOf(ev);
      ghost = el("div", { "class": "rbox drawing" });
      place(ghost, [start[0], start[1], start[0], start[1]]);
      layer.appendChild(ghost);
    });
    view.addEventListener("pointermove", function (ev) {
      if (!start) return;
      place(ghost, rectOf(start, pointOf(ev)));
    });
    var finish = function (ev, keep) {
      if (!start) return;
      var rect = rectOf(start, pointOf(ev));
      start = null;
      if (ghost) ghost.remove();
      ghost = null;
      if (!keep || rect[2] - rect[0] < MIN_SIZE || rect[3] - rect[1] < MIN_SIZE) {
        selected = -1;
        render();
        return;
      }
      boxes.push({ page: page, box: rect, ground: groundSelect.value, source: "manual" });
      selected = boxes.length - 1;
      setDirty(true);
      render();
    };
    view.addEventListener("pointerup", function (ev) { finish(ev, true); });
    view.addEventListener("pointercancel", function (ev) { finish(ev, false); });
    document.addEventListener("keydown", function (ev) {
      var typing = ev.target && /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName);
      if (!typing && selected >= 0 && (ev.key === "Delete" || ev.key === "Backspace")) {
        ev.preventDefault();
        remove(selected);
      }
    });
  }

  /* --- saving -------------------------------------------------------------------------- */

  function save() {
    if (saveButton) saveButton.disabled = true;
    var body = { boxes: boxes.map(function (b) { return { page: b.page, box: b.box, ground: b.ground }; }) };
    return fetch(base() + "/boxes", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          say(data.detail || "未保存：服务器未能处理（" + response.status + "），请稍后重试", false);
          setDirty(true);
          return false;
        }
        state = Object.assign(state, data.state);
        boxes = state.boxes.slice();
        selected = -1;
        setDirty(false);
        say(data.message || "已保存", true);
        drawSummary();
        render();
        return true;
      });
    }, function () {
      say("未保存：无法连接服务器，请检查网络后重试", false);
      setDirty(true);
      return false;
    });
  }

  if (saveButton) saveButton.addEventListener("click", function () { save(); });

  document.querySelectorAll("form.decide").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!dirty) return; // the form posts as it is
      ev.preventDefault();
      var accept = ev.submitter ? ev.submitter.value : "1";
      save().then(function (ok) {
        if (!ok) return;
        form.appendChild(el("input", { type: "hidden", name: "accept", value: accept }));
        form.submit();
      });
    });
  });

  window.addEventListener("beforeunload", function (ev) {
    if (dirty) {
      ev.preventDefault();
      ev.returnValue = "";
    }
  });

  setDirty(false);
  render();
})();
