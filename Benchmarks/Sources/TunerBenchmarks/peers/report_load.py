"""Opens HTML reports in headless Chromium (Debian's, through Selenium and chromedriver) and
prints one JSON object: for each file, its navigation timing in milliseconds (DOM content
loaded, load event end, first contentful paint), the median of ROUNDS loads.

Usage: python3 report_load.py ROUNDS REPORT.html [REPORT.html ...]
"""
import json
import os
import statistics
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

rounds = int(sys.argv[1])
paths = sys.argv[2:]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"]:
    options.add_argument(argument)
options.page_load_strategy = "normal"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(300)
result = {}
try:
    for path in paths:
        samples = {"dom_content_loaded_ms": [], "load_ms": [], "first_contentful_paint_ms": []}
        for _ in range(rounds):
            driver.get("about:blank")
            driver.get("file://" + os.path.abspath(path))
            timing = driver.execute_script("""
                var n = performance.getEntriesByType('navigation')[0];
                var p = performance.getEntriesByName('first-contentful-paint')[0];
                return [n.domContentLoadedEventEnd, n.loadEventEnd, p ? p.startTime : -1];
            """)
            samples["dom_content_loaded_ms"].append(timing[0])
            samples["load_ms"].append(timing[1])
            samples["first_contentful_paint_ms"].append(timing[2])
        # A paint entry can be missing from a load; such a sample is left out.
        result[os.path.basename(path)] = {
            key: statistics.median([v for v in values if v >= 0] or [-1]) for key, values in samples.items()}
finally:
    driver.quit()
print(json.dumps(result))
