"""Draw the home-screen icons (PNG) from static/icon.svg with the system's Chromium.

Run after changing the icon: `.venv/bin/python scripts/make_icons.py`. The PNGs are committed.
"""
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "static"
MARK = (STATIC / "icon.svg").read_text()
# Maskable icons are cropped to a circle or squircle by the phone: full-bleed colour, the mark in the middle.
PAGES = {
    "icon-192.png": (192, f'<div style="width:192px;height:192px">{MARK}</div>'),
    "icon-512.png": (512, f'<div style="width:512px;height:512px">{MARK}</div>'),
    "apple-touch-icon.png": (180, f'<div style="width:180px;height:180px;background:#1f4d46">{MARK}</div>'),
    "icon-maskable-512.png": (512, '<div style="width:512px;height:512px;background:#1f4d46;display:grid;'
                                   f'place-items:center"><div style="width:400px;height:400px">{MARK}</div></div>'),
}


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, (size, body) in PAGES.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(f"<style>*{{margin:0}} svg{{width:100%;height:100%;display:block}}</style>{body}")
            page.screenshot(path=str(STATIC / "icons" / name), omit_background=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
