#!/usr/bin/env python3
"""`make -f Makefile.apxs screenshot`: the README's pictures of the web app. Starts the browser
tests' site (a real Apache, a user with photos in a 0700 home, in a private namespace), signs
in with headless Chromium and writes

  docs/screenshot.png        1280 x 800, a Photos folder as a gallery
  docs/screenshot-phone.png  390 x 844 (a phone), the same folder as a list

Options: --out DIR (default: the checkout's docs/), --view list|gallery for the wide one."""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import appsite  # noqa: E402
from taharness import Harness, paths, samples  # noqa: E402

USER = "maria"
WIDE = (1280, 800)
PHONE = (390, 844)
PICTURE_SIZE = (480, 300)
DAY = 86400
TEXTS = {
    "welcome.txt": "Your own files, from anywhere.\n",
    "Documents/packing-list.txt": "passport\ncharger\nsun cream\n",
    "Documents/budget.csv": "item,amount\ntrain,84.50\nhotel,312.00\n",
}


def fill_home(user) -> None:
    """The pictured home: a Photos folder (with a Holidays sub-folder), documents, a text
    file, dated over the past weeks; everything owned by the user."""
    for entry in user.host_home.iterdir():        # not the harness's test files
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    files = {}
    for name, make in samples.PHOTOS.items():
        folder = "Photos/Holidays" if name == "beach.png" else "Photos"
        files[folder + "/" + name] = make(*PICTURE_SIZE)
    files.update({rel: text.encode() for rel, text in TEXTS.items()})
    for age, (rel, data) in enumerate(files.items()):
        path = appsite.put_file(user, rel, data)
        stamp = time.time() - (1 + 2.5 * age) * DAY
        os.utime(path, (stamp, stamp))
    for dirpath, dirnames, filenames in os.walk(user.host_home, topdown=False):
        if dirpath != str(user.host_home):          # a folder dated as its newest file
            newest = max(os.lstat(os.path.join(dirpath, n)).st_mtime
                         for n in dirnames + filenames)
            os.utime(dirpath, (newest, newest))


def settle(b) -> None:
    """Every picture in the page loaded and fonts ready, so the shot is not half drawn; the
    mouse in a corner, so no row looks hovered."""
    b.driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 0, "y": 0})
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
        fill_home(user)
        server = appsite.start_server(h, "screenshot")
        for path in (shoot_wide(server, user, args.out, args.view),
                     shoot_phone(server, user, args.out)):
            print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
