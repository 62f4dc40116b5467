"""Signing in to the agent console in Chromium, as every browser test of the console,
desk and admin pages does: the real login form, by its labels."""

from __future__ import annotations

from typing import Any

PASSWORD = "korrekt-hest-batteri"


def log_in(page: Any, url: str, username: str, password: str = PASSWORD) -> Any:
    """Fill in and send the login form at /agent; the caller waits for what it expects
    next (the desk, the queue, or the page an editor is taken to)."""
    page.goto(f"{url}/agent")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    return page
