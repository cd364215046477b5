"""Checks an HTML report the way a person's browser sees it; prints one JSON object.

Usage: python3 browser_checks.py REPORT.html SCREENSHOT.png [PAYLOAD]
- html5lib in strict mode: parse errors;
- headless Chromium through Selenium and chromedriver: the DOM after load (script elements,
  whether PAYLOAD shows as text), console messages (Content-Security-Policy violations), a
  screenshot, and axe-core's accessibility violations.
"""
import json
import os
import sys

import html5lib

path, screenshot = sys.argv[1], sys.argv[2]
payload = sys.argv[3] if len(sys.argv) > 3 else None
result = {}

with open(path, "rb") as f:
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(f)
        result["html5lib_errors"] = []
    except Exception as error:  # html5lib raises ParseError on the first error in strict mode
        result["html5lib_errors"] = [str(error)]

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get("file://" + os.path.abspath(path))
    result["scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
    body = driver.find_element(By.TAG_NAME, "body").text
    result["payload_visible"] = payload in body if payload else None
    driver.save_screenshot(screenshot)
    result["screenshot_bytes"] = os.path.getsize(screenshot)
    result["console"] = [entry["message"] for entry in driver.get_log("browser")]
    import axe_selenium_python
    axe_path = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
    with open(axe_path) as f:
        driver.execute_script(f.read())
    report = driver.execute_async_script("var done = arguments[0]; axe.run().then(function(r) { done(r); });")
    result["axe_violations"] = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["html"][:200] for n in v["nodes"][:3]]} for v in report["violations"]]
    # A 400-px screen: no column is hidden, and a table wider than the screen scrolls sideways.
    driver.set_window_size(400, 900)
    result["narrow"] = driver.execute_script("""
        var hidden = 0, unscrollable = 0;
        document.querySelectorAll('th, td').forEach(function (cell) {
            if (getComputedStyle(cell).display === 'none' || cell.getBoundingClientRect().width === 0) hidden++;
        });
        document.querySelectorAll('table').forEach(function (table) {
            if (table.getBoundingClientRect().width <= document.documentElement.clientWidth) return;
            var box = table.parentElement, scrolls = false;
            while (box && box !== document.body) {
                var o = getComputedStyle(box).overflowX;
                if (o === 'auto' || o === 'scroll') { scrolls = box.scrollWidth > box.clientWidth; break; }
                box = box.parentElement;
            }
            if (!scrolls) unscrollable++;
        });
        return {hidden: hidden, unscrollable: unscrollable};
    """)
    # Print: nothing clipped by a scroll box or a height limit.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    result["print_clipped"] = driver.execute_script("""
        var clipped = 0;
        document.querySelectorAll('.scroll, pre').forEach(function (e) {
            var s = getComputedStyle(e);
            if (s.maxHeight !== 'none' || s.overflowY === 'auto' || s.overflowY === 'hidden' || s.overflowY === 'scroll') clipped++;
        });
        return clipped;
    """)
finally:
    driver.quit()
print(json.dumps(result))
