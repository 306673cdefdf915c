"""The trace viewer in headless Chromium: steps through a fixture's trace and checks the page.

Not a pixel test: it checks the DOM and the console, and saves a screenshot for a human to look at.
Exits 77 (ctest SKIP_RETURN_CODE) when selenium or Chromium is missing or will not start.
Usage: test_browser.py KVLM DATA_DIR OUT_DIR
"""
import json
import sys
import time
from pathlib import Path

from view_common import Viewer, make_trace

SKIP = 77


def skip(why):
    print(f"SKIP: {why} (install: apt-get install chromium chromium-driver python3-selenium)")
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    skip(f"selenium is not importable by {sys.executable}: {e}")


def start_chromium():
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1500"]:
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    except Exception as e:  # no binary, no driver, or it cannot start here
        skip(f"headless Chromium did not start: {str(e).splitlines()[0]}")


failures = []


def expect(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def count(driver, css):
    return len(driver.find_elements(By.CSS_SELECTOR, css))


def check_replay(driver, kvlm, out_dir, data_dir):
    trace_path, trace = make_trace(kvlm, data_dir, out_dir)
    naive_path, _ = make_trace(kvlm, data_dir, out_dir, no_cache=True)
    steps, layers = trace["steps"], trace["model"]["num_hidden_layers"]
    v = Viewer(kvlm, trace_path, naive_path)
    try:
        driver.get(v.url)
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "main").is_displayed())
        expect(count(driver, ".token.prompt") == len(trace["prompt"]["ids"]), "every prompt token shown")
        expect(count(driver, ".token.generated") == 0, "no new token before the first step")
        for k, s in enumerate(steps):
            driver.find_element(By.ID, "step").click()
            if count(driver, ".token.generated") != k + 1:
                expect(False, f"step {k}: {k + 1} new tokens shown")
            filled = count(driver, "#cache rect.filled")
            if filled != layers * s["cache_length"]:
                expect(False, f"step {k}: {layers} x {s['cache_length']} cache cells filled, found {filled}")
            heat = count(driver, "#attention rect.heat")
            if heat != s["start_pos"] + s["n_positions"]:
                expect(False, f"step {k}: attention row of {s['start_pos'] + s['n_positions']} cells, found {heat}")
        expect(count(driver, ".token.generated") == len(steps), f"{len(steps)} new tokens after stepping through")
        last = steps[-1]
        expect(count(driver, "#cache rect.filled") == layers * last["cache_length"],
               f"{layers * last['cache_length']} filled cache cells at the end")
        expect(count(driver, "#candidates rect.bar-before") == len(last["top_before"]), "candidate bar chart drawn")
        expect(count(driver, "#candidates rect.bar-chosen") == 1, "the chosen token marked")
        expect(count(driver, "#timing svg path.line-kv") == 1 and count(driver, "#timing svg path.line-none") == 1,
               "time per token: the cached and the naive line")
        text = driver.find_element(By.ID, "step-label").text
        expect(text == f"step {len(steps)} / {len(steps)}", f"step label at the end ({text!r})")
        # Play from the start at 4x: it runs to the end by itself.
        driver.find_element(By.ID, "reset").click()
        driver.execute_script("document.getElementById('speed').value = '4';")
        driver.find_element(By.ID, "play").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "step-label").text.startswith(f"step {len(steps)} "))
        expect(True, "play runs to the last step")
        driver.find_element(By.ID, "reset").click()
        for _ in range(3):
            driver.find_element(By.ID, "step").click()
        time.sleep(0.5)  # let the newest token's pop-in animation finish
        shot = Path(out_dir) / "viewer.png"
        driver.save_screenshot(str(shot))
        print(f"screenshot: {shot}")
        errors = console_errors(driver)
        expect(not errors, f"no console errors ({errors})")
    finally:
        expect(v.stop() == 0, "kvlm view exits 0 on SIGINT")


def check_bad_trace(driver, kvlm, out_dir, name, content, message):
    path = Path(out_dir) / name
    path.write_text(content)
    v = Viewer(kvlm, path)
    try:
        driver.get(v.url)
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "error").is_displayed())
        shown = driver.find_element(By.ID, "error").text
        expect(message in shown and not driver.find_element(By.ID, "main").is_displayed(), f"{name}: shows {shown!r}")
        driver.get_log("browser")  # a bad trace is reported on the page, not as a console error
    finally:
        v.stop()


def main():
    kvlm, data_dir, out_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    out_dir.mkdir(parents=True, exist_ok=True)
    driver = start_chromium()
    try:
        check_replay(driver, kvlm, out_dir, data_dir)
        good = json.loads((out_dir / "trace_cached.json").read_text())
        check_bad_trace(driver, kvlm, out_dir, "corrupt.json", (out_dir / "trace_cached.json").read_text()[:500],
                        "is not valid JSON")
        check_bad_trace(driver, kvlm, out_dir, "version99.json", json.dumps({**good, "version": 99}),
                        "has schema version 99; this viewer reads version 1")
        check_bad_trace(driver, kvlm, out_dir, "other.json", json.dumps({"hello": "world"}), "is not a kvlm trace")
    finally:
        driver.quit()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
