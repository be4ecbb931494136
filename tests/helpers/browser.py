"""Test helper: Debian's Chromium as the tests start it, and the scripts they add to every page."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

DIALOGS = """
window.__events = [];
const record = (kind, detail) => window.__events.push(kind + ': ' + String(detail));
window.alert = (m) => record('alert', m);
window.confirm = (m) => { record('confirm', m); return false; };
window.prompt = (m) => { record('prompt', m); return null; };
"""
"""Dialogs recorded in `window.__events` (and `record` defined for further hooks) instead of shown."""

OPEN_SHADOW = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: 'open'}); };
"""
"""Material draws each diagram in a closed shadow root; opened, so a test can look inside."""
