"""The chat page as a person sees it: time to interactive, first sign of life and final cards per turn.

    .venv/bin/python -m benchmarks.page [--home DIR] [--turns 20] [--out DIR]

Starts ``recpilot serve`` (no LLM) on a copy of ``--home`` (default: a fresh home with the demo
catalog ingested), opens the page in the system Chromium (Playwright), and sends ``--turns``
messages one after another. Per turn it times, from the click on Send: the first visible
progress (the user's bubble and the typing indicator), and the final cards. Prints p50/p95 and
saves screenshots at 1400 and 400 px under ``--out``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.stats import pct

MESSAGES = ["a fantasy novel from the 90s", "nothing by Tolkien", "something funny", "a cozy mystery",
            "more like the second one", "something shorter", "a classic romance", "a science fiction book about AI",
            "newer please", "a thriller set in Scandinavia", "show me more", "a history of Rome",
            "something for a 12 year old", "a dark fantasy", "like The Hobbit", "not that one",
            "a horror novel from after 2000", "something uplifting", "a memoir", "poetry"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="a RECPILOT_HOME with the demo catalog (copied, never changed)")
    ap.add_argument("--turns", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("artifacts"))
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="recpilot-page-"))
    home = work / "home"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "RECPILOT_HOME": str(home), "RECPILOT_LLM__BACKEND": "none", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    if args.home:
        shutil.copytree(args.home, home)
    else:
        print("ingesting the demo catalog into a fresh home …", flush=True)
        subprocess.run([str(bin_dir / "recpilot"), "ingest"], env=env, check=True, capture_output=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(bin_dir / "recpilot"), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.perf_counter()
        while time.perf_counter() - start < 180:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        print(f"server ready in {time.perf_counter() - start:.1f} s", flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"{url}/", wait_until="domcontentloaded")
            page.wait_for_function("() => { const f = document.querySelector('#rp-user input, #rp-user textarea');"
                                   " return f && f.value.length > 0; }", timeout=60000)
            interactive = time.perf_counter() - t0
            print(f"page interactive in {interactive:.2f} s", flush=True)
            first, final = [], []
            texts = (MESSAGES * (1 + args.turns // len(MESSAGES)))[: args.turns]
            for n, text in enumerate(texts):
                bubbles = page.locator("#rp-chat .message").count()
                before = page.locator("#rp-status").inner_text()
                page.locator("#rp-msg textarea").fill(text)
                t0 = time.perf_counter()
                page.locator("#rp-send").click()
                page.wait_for_function("n => document.querySelectorAll('#rp-chat .message').length > n", arg=bubbles)
                first.append(time.perf_counter() - t0)
                page.wait_for_function("prev => { const s = document.querySelector('#rp-status').innerText;"
                                       " return s.includes('✓') && s !== prev"
                                       " && document.querySelector('#rp-chat .rp-typing') === null; }",
                                       arg=before, timeout=60000)
                final.append(time.perf_counter() - t0)
                print(f"  turn {n + 1:2d}: first sign {first[-1] * 1000:5.0f} ms, answer and cards "
                      f"{final[-1] * 1000:5.0f} ms  ({text})", flush=True)
            page.screenshot(path=str(args.out / "page-1400px.png"), full_page=True)
            page.set_viewport_size({"width": 400, "height": 800})
            page.screenshot(path=str(args.out / "page-400px.png"), full_page=True)
            browser.close()
        print(f"\npage interactive {interactive:.2f} s; over {len(final)} turns: first sign p50 "
              f"{statistics.median(first) * 1000:.0f} ms / p95 {pct(first, 95) * 1000:.0f} ms; answer and cards "
              f"p50 {statistics.median(final) * 1000:.0f} ms / p95 {pct(final, 95) * 1000:.0f} ms; "
              f"screenshots in {args.out}/")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
