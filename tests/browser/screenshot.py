#!/usr/bin/env python3
"""`make -f Makefile.apxs screenshot`: the README's pictures of the web app. Starts the browser
tests' site (a real Apache, a user with photos in a 0700 home, in a private namespace), signs
in with headless Chromium and writes

  docs/screenshot.png        1280 x 800, the Photos folder as a gallery
  docs/screenshot-phone.png  390 x 844 (a phone), the same folder as a list

Options: --out DIR (default: the checkout's docs/), --view list|gallery for the wide one."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import appsite  # noqa: E402
from taharness import Harness, paths  # noqa: E402

USER = "maria"
WIDE = (1280, 800)
PHONE = (390, 844)


def settle(b) -> None:
    """Every picture in the page loaded and fonts ready, so the shot is not half drawn."""
    b.wait(lambda d: b.js("return document.fonts.status === 'loaded' && Array.from("
                          "document.images).filter(i => i.getClientRects().length)"
                          ".every(i => i.complete && i.naturalWidth > 0)"),
           what="pictures and fonts")


def shoot_wide(server, user, out: Path, view: str) -> Path:
    b = appsite.Browser(server.base_url, "wide", *WIDE)
    try:
        b.open_app()
        b.sign_in(user.name, user.password)
        b.go_to("Photos")
        if view == "gallery":
            b.click("button#view-gallery")
            b.visible("#gallery img.thumb")
        settle(b)
        target = out / "screenshot.png"
        b.driver.save_screenshot(str(target))
        return target
    finally:
        b.quit()


def shoot_phone(server, user, out: Path) -> Path:
    b = appsite.Browser(server.base_url, "phone", *PHONE)
    try:
        b.viewport(*PHONE, mobile=True, scale=1)
        b.open_app()
        b.sign_in(user.name, user.password)
        b.go_to("Photos")
        settle(b)
        target = out / "screenshot-phone.png"
        b.driver.save_screenshot(str(target))
        return target
    finally:
        b.quit()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=paths.repo_root() / "docs")
    ap.add_argument("--view", choices=("list", "gallery"), default="gallery")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with Harness() as h:
        user = h.users.add_user(USER, USER + "-pw")
        appsite.populate_home(user)
        server = appsite.start_server(h, "screenshot")
        for path in (shoot_wide(server, user, args.out, args.view),
                     shoot_phone(server, user, args.out)):
            print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
