"""Screenshot of the trace viewer (docs/viewer.png): kvlm view on one or two traces, N steps, a PNG.

Not a test (tests/browser/test_browser.py is). Needs Debian's python3-selenium, chromium, chromium-driver.
Usage: /usr/bin/python3 scripts/viewer_screenshot.py KVLM OUT.png STEPS TRACE.json [COMPARE.json]
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from view_common import Viewer  # noqa: E402

kvlm, out, steps, traces = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
options = webdriver.ChromeOptions()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1500", "--hide-scrollbars"]:
    options.add_argument(arg)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
v = Viewer(kvlm, *traces)
try:
    driver.get(v.url)
    time.sleep(1)
    for _ in range(steps):
        driver.find_element(By.ID, "step").click()
    time.sleep(0.6)
    driver.save_screenshot(out)
finally:
    v.stop()
    driver.quit()
