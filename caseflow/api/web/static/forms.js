/* Nothing typed is lost (served as /static/forms.js; no inline script: CSP script-src 'self').
 *
 * 1. Uploads over the limit: a form with data-max-bytes refuses files whose total is over the limit
 *    before anything is sent, with a message beside the file field.
 * 2. A form posted when the session had ended: on submit the form's typed values are kept in
 *    sessionStorage; the sign-in page leaves them alone; back on the page after signing in
 *    (?restore=1), or on a page marked data-restore (the 413 answer), they are filled in again.
 *    Any other page load forgets them (the submit went through).
 */
(function () {
  "use strict";
  var KEY = "caseflow:typed-form";
  var SKIP = { hidden: 1, file: 1, password: 1, submit: 1, button: 1, reset: 1, image: 1 };
  var MARGIN = 64 * 1024; // the form's text fields and multipart framing

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " 字节";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function fileInputs(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=file]"));
  }

  function messageFor(input) {
    var id = input.id + "-size-error";
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.id = id;
      el.className = "error size-error";
      el.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", el);
    }
    return el;
  }

  /* Whether the chosen files fit; shows or clears the message beside each file field. */
  function checkSizes(form) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (!limit) return true;
    var total = 0;
    var inputs = fileInputs(form);
    inputs.forEach(function (input) {
      for (var i = 0; i < input.files.length; i++) total += input.files[i].size;
    });
    var ok = true;
    var mb = Math.round(limit / (1024 * 1024));
    inputs.forEach(function (input) {
      var el = messageFor(input);
      var size = 0;
      var names = [];
      for (var i = 0; i < input.files.length; i++) {
        size += input.files[i].size;
        names.push(input.files[i].name);
      }
      if (size && size + MARGIN > limit) {
        el.textContent = "文件“" + names.join("、") + "”大小为" + sizeText(size) + "，超过上传上限" + mb +
          " MB，无法提交；请压缩或拆分后重新选择。";
        ok = false;
      } else if (size && total + MARGIN > limit) {
        el.textContent = "所选文件合计" + sizeText(total) + "，超过一次提交的上限" + mb +
          " MB，无法提交；请分次上传或压缩后重新选择。";
        ok = false;
      } else {
        el.textContent = "";
      }
    });
    return ok;
  }

  function keyOf(form) {
    return form.getAttribute("action") || location.pathname;
  }

  function typedValues(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.type]) return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) (values[el.name] = values[el.name] || []).push(el.value);
        return;
      }
      values[el.name] = [el.value];
    });
    return values;
  }

  function keep(form) {
    if (form.hasAttribute("data-no-keep") || (form.method || "").toLowerCase() !== "post") return;
    if (keyOf(form) === "/login" || keyOf(form) === "/logout") return; // signing in or out types nothing to keep
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ page: location.pathname, action: keyOf(form), values: typedValues(form) }));
    } catch (e) { /* storage full or disabled: nothing to keep */ }
  }

  function restore() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || saved.page !== location.pathname) return false;
    var form = null;
    Array.prototype.forEach.call(document.forms, function (f) { if (!form && keyOf(f) === saved.action) form = f; });
    if (!form) return false;
    Object.keys(saved.values).forEach(function (name) {
      var wanted = saved.values[name];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== name || SKIP[el.type]) return;
        if (el.type === "checkbox" || el.type === "radio") el.checked = wanted.indexOf(el.value) >= 0;
        else el.value = wanted[0];
      });
    });
    for (var p = form.parentElement; p; p = p.parentElement) if (p.tagName === "DETAILS") p.open = true;
    var note = document.createElement("div");
    note.className = "flash";
    note.id = "restored-note";
    note.setAttribute("role", "status");
    note.textContent = "已恢复您上次提交前填写的内容（上传的文件需重新选择），请核对后重新提交。";
    form.insertAdjacentElement("beforebegin", note);
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var params = new URLSearchParams(location.search);
    var onSignIn = location.pathname === "/login";
    if (params.get("restore") === "1" || document.querySelector("[data-restore]")) {
      restore();
      if (params.get("restore") === "1") {
        params.delete("restore");
        var rest = params.toString();
        history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
      }
    }
    if (!onSignIn) {
      try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
    }
    Array.prototype.forEach.call(document.forms, function (form) {
      fileInputs(form).forEach(function (input) {
        input.addEventListener("change", function () { checkSizes(form); });
      });
      form.addEventListener("submit", function (event) {
        if (!checkSizes(form)) {
          event.preventDefault();
          var first = form.querySelector(".size-error:not(:empty)");
          if (first) first.scrollIntoView({ block: "center" });
          return;
        }
        keep(form);
      });
    });
  });
})();
