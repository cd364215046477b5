"""Checks the live dashboard the way a person's browser sees it; prints one JSON object.

Usage: python3 live_checks.py BASE_URL STUDY HOSTILE_STUDY PAYLOAD SCREENSHOT.png [FIXTURE ...]
A search is writing STUDY while this runs. Headless Chromium through Selenium and chromedriver:
- the list page links every study;
- the study page follows its event stream: the trials table grows without a reload;
- the trials table filters and sorts;
- axe-core's accessibility violations, console messages (policy violations, errors);
- the hostile study's page shows PAYLOAD as text and runs no script but the dashboard's;
- a screenshot of the live page;
- each FIXTURE study's page: its sections drawn, its failures' traces listed, no console error.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base, study, hostile, payload, screenshot = sys.argv[1:6]
fixtures = sys.argv[6:]
result = {"console": []}

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def console():
    result["console"] += [entry["message"] for entry in driver.get_log("browser")]


def wait(condition, seconds):
    """Polls condition every 20 ms for at most seconds; returns its last value."""
    deadline = time.monotonic() + seconds
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(0.02)
        value = condition()
    return value


def rows():
    return driver.execute_script("return document.querySelectorAll('#trials tbody tr').length;")


try:
    driver.get(base + "/")
    result["home_links"] = len(driver.find_elements(By.CSS_SELECTOR, "#studies tbody a"))
    console()

    driver.get(base + "/studies/" + study)
    result["live_text"] = wait(lambda: driver.find_element(By.ID, "live").text, 15)
    first = rows()
    start = time.monotonic()
    grown = wait(lambda: rows() > first, 30)
    result["rows_first"] = first
    result["rows_grew"] = bool(grown)
    result["first_growth_seconds"] = round(time.monotonic() - start, 3)
    # Several updates in place, no reload: the navigation entry stays the first one.
    wait(lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-updates") or 0) >= 3, 30)
    result["updates"] = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-updates") or 0)
    result["live_updates"] = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-live-updates") or 0)
    # The list shows the 8 newest attempts: on a loaded machine the search may not have
    # written 8 yet when the third update came, so wait for them (the page updates in place).
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#latest li")) >= 8, 20)
    result["latest_items"] = len(driver.find_elements(By.CSS_SELECTOR, "#latest li"))
    result["navigations"] = driver.execute_script("return performance.getEntriesByType('navigation').length;")
    result["scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))

    # The page as a person opening it sees it, updated in place.
    driver.execute_script("window.scrollTo(0, 0);")
    driver.save_screenshot(screenshot)
    result["screenshot_bytes"] = os.path.getsize(screenshot)

    # Filter by the first trial's id, typed while the page updates: the box keeps its text and
    # focus across updates. Then sort by the first column, twice (descending).
    first_id = driver.execute_script("return document.querySelector('#trials tbody tr th').textContent.trim();")
    before = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-updates") or 0)
    box = driver.find_element(By.ID, "trials-filter")
    box.click()
    for character in first_id:
        driver.switch_to.active_element.send_keys(character)
        time.sleep(0.05)
    wait(lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-updates") or 0) > before + 1, 10)
    result["filter_kept"] = driver.execute_script(
        "var box = document.getElementById('trials-filter');"
        " return box.value === arguments[0] && document.activeElement === box;", first_id)
    result["filter"] = driver.execute_script(
        "var needle = arguments[0].toLowerCase(), shown = 0, wrong = 0, rows = document.querySelectorAll('#trials tbody tr');"
        " rows.forEach(function (r) { var has = r.textContent.toLowerCase().indexOf(needle) >= 0;"
        " if (!r.hidden) { shown += 1; } if (has === r.hidden) { wrong += 1; } });"
        " return {shown: shown, rows: rows.length, wrong: wrong};", first_id)
    driver.execute_script("var box = document.getElementById('trials-filter'); box.value = '';"
                          " box.dispatchEvent(new Event('input'));")
    # A click is one script turn: it cannot land between an update's removal and insertion.
    for _ in range(2):
        driver.execute_script("document.querySelector('#trials thead th button.sort').click();")
    result["sort"] = driver.execute_script("return document.querySelector('#trials thead th').getAttribute('aria-sort');")


    import axe_selenium_python
    axe_path = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
    with open(axe_path) as f:
        axe_source = f.read()
    # axe-core is injected by the driver, not by the page: the page's policy still governs the page.
    driver.execute_script(axe_source)
    report = driver.execute_async_script("var done = arguments[0]; axe.run().then(function(r) { done(r); });")
    result["axe_violations"] = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["html"][:200] for n in v["nodes"][:3]]} for v in report["violations"]]
    console()

    driver.get(base + "/studies/" + hostile)
    body = driver.find_element(By.TAG_NAME, "body").text
    result["payload_visible"] = payload in body
    result["hostile_scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
    result["hostile_images"] = len(driver.find_elements(By.CSS_SELECTOR, "main img"))
    console()

    result["fixtures"] = {}
    for name in fixtures:
        driver.get(base + "/studies/" + name)
        result["fixtures"][name] = driver.execute_script("""
            return {charts: document.querySelectorAll('main svg').length,
                    traces: document.querySelectorAll('#failures pre').length,
                    failed: document.querySelectorAll('#failures details').length,
                    rows: document.querySelectorAll('#trials tbody tr').length};""")
        console()
finally:
    driver.quit()
print(json.dumps(result))
