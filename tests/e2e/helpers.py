"""What every browser journey does: open a page as a role, sign in, take screenshots, and check that
no visible sentence on the page is English (the pages are for a Chinese office)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

PASSWORD = "caseflow-demo"  # the demo users' password (caseflow.demo_data.DEFAULT_PASSWORD)
TIMEOUT_MS = 15_000
#: The demo's users, one per role (caseflow.demo_data.ROLE_USERS), and the page each lands on.
HOMES = {
    "clerk": "/cases",
    "reviewer": "/review",
    "supervisor": "/dashboard",
    "auditor": "/search",
    "admin": "/admin",
}

#: Every visible text node (and option, button value, placeholder) that holds no CJK character;
#: text inside <code>, <kbd>, <samp> or an element marked data-latin (user names, tracking numbers,
#: file names, commands) is data, not a sentence.
_VISIBLE_LATIN_TEXTS = """
() => {
  const cjk = /[\\u3000-\\u9fff\\uff00-\\uffef]|[\\ud840-\\ud87f][\\udc00-\\udfff]/;
  const exempt = (el) => el.closest('code, kbd, samp, script, style, [data-latin]') !== null;
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 || el.tagName === 'OPTION';
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.replace(/\\s+/g, ' ').trim();
    const el = n.parentElement;
    if (!t || !el || exempt(el) || cjk.test(t)) continue;
    if (el.tagName !== 'OPTION' && !visible(el)) continue;
    out.push(t);
  }
  for (const el of document.querySelectorAll('[placeholder], input[type=submit], [title]')) {
    const submit = el.type === 'submit' ? el.value : null;
    for (const t of [el.getAttribute('placeholder'), submit, el.getAttribute('title')]) {
      if (t && !cjk.test(t) && !exempt(el)) out.push(t.trim());
    }
  }
  out.push(document.title);
  return out;
}
"""
#: Three or more Latin words in a row (a sentence or a phrase), e.g. "the request changed since".
_ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,.;:'\"()-]+[A-Za-z]{2,}){2,}")


def english_sentences(page: Page) -> list[str]:
    """The visible texts of the page that read as English words rather than data."""
    texts: list[str] = page.evaluate(_VISIBLE_LATIN_TEXTS)
    return [t for t in texts if t and _ENGLISH.search(t)]


def assert_chinese(page: Page, where: str = "") -> None:
    """Fail on any visible English sentence (the page-wide language check of every journey)."""
    found = english_sentences(page)
    assert not found, f"English on {where or page.url}: {found}"


def new_page(browser: Browser, base: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def login(page: Page, username: str, home: str | None = None) -> None:
    """Sign in through the form; lands on ``home`` (the role's page by default)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    if home is None:
        home = HOMES.get(username)
    if home is not None:
        expect(page).to_have_url(re.compile(re.escape(home) + r"(\?.*)?$"))


def shoot(page: Page, folder: Path, name: str) -> Path:
    """A full-page screenshot saved as a test artifact."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path
