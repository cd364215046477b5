"""Measures a dashboard in headless Chromium (Debian's, through Selenium) and over HTTP; prints
one JSON object.

Usage:
  dashboard_load.py paint URL ROUNDS        navigation timing of URL, the median of ROUNDS loads
  dashboard_load.py api URL CLIENTS SECONDS  CLIENTS threads each sending GET URL on a kept-alive
                                             connection for SECONDS: latency percentiles, requests/s
  dashboard_load.py live URL SECONDS         the page open while a search writes its study: for
                                             each update in place, the age of the newest journaled
                                             instant it shows (body's data-journal-time)
  dashboard_load.py optuna TRIALS ROUNDS SECONDS
                                             optuna-dashboard on an Optuna SQLite study of TRIALS
                                             trials: first paint, the time until the trials are
                                             drawn, and for new best trials added once a second,
                                             the time until the page names them
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(300)
    return driver


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return -1
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timing(driver):
    return driver.execute_script("""
        var n = performance.getEntriesByType('navigation')[0];
        var p = performance.getEntriesByName('first-contentful-paint')[0];
        return [n.domContentLoadedEventEnd, n.loadEventEnd, p ? p.startTime : -1];
    """)


def paint(url, rounds):
    driver = browser()
    samples = {"dom_content_loaded_ms": [], "load_ms": [], "first_contentful_paint_ms": []}
    try:
        for _ in range(rounds):
            driver.get("about:blank")
            driver.get(url)
            values = timing(driver)
            for key, value in zip(["dom_content_loaded_ms", "load_ms", "first_contentful_paint_ms"], values):
                samples[key].append(value)
    finally:
        driver.quit()
    return {key: statistics.median([v for v in values if v >= 0] or [-1]) for key, values in samples.items()}


def api(url, clients, seconds):
    parts = urllib.parse.urlsplit(url)
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                connection.request("GET", parts.path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except Exception:
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {"requests": float(len(latencies)), "errors": float(errors[0]),
            "requests_per_second": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5),
            "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies or [-1])}


def live(url, seconds):
    driver = browser()
    try:
        driver.get(url)
        # Each update in place: the age, when it is in the page, of the newest instant it shows.
        # Two kinds of update: the event's newest attempts shown at once (data-live-updates),
        # and the whole page read again (data-updates, its charts and tables).
        driver.execute_script("""
            window.__delays = {'data-live-updates': [], 'data-updates': []};
            new MutationObserver(function (changes) {
                var at = parseFloat(document.body.getAttribute('data-journal-time'));
                changes.forEach(function (change) {
                    if (at > 0) { window.__delays[change.attributeName].push(Date.now() - at * 1000); }
                });
            }).observe(document.body, {attributes: true, attributeFilter: ['data-updates', 'data-live-updates']});
        """)
        first = driver.execute_script("return parseFloat(document.body.getAttribute('data-journal-time'));")
        time.sleep(seconds)
        delays = driver.execute_script("return window.__delays;")
        last = driver.execute_script("return parseFloat(document.body.getAttribute('data-journal-time'));")
    finally:
        driver.quit()
    events, pages = delays["data-live-updates"], delays["data-updates"]
    return {"updates": float(len(events)), "delay_p50_ms": percentile(events, 0.5),
            "delay_p95_ms": percentile(events, 0.95), "delay_max_ms": max(events or [-1]),
            "page_updates": float(len(pages)), "page_delay_p50_ms": percentile(pages, 0.5),
            "page_delay_p95_ms": percentile(pages, 0.95), "journal_seconds_followed": last - first}


def optuna_dashboard(trials, rounds, seconds):
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folder = tempfile.mkdtemp(prefix="optuna-dashboard-bench-")
    storage = "sqlite:///" + os.path.join(folder, "study.sqlite3")
    study = optuna.create_study(study_name="big", storage=storage)
    distributions = {"learning_rate": FloatDistribution(1e-4, 1e-1, log=True), "units": IntDistribution(8, 512),
                     "activation": CategoricalDistribution(["relu", "tanh", "sigmoid"])}
    batch = []
    for i in range(trials):
        params = {"learning_rate": 1e-4 * (1 + i % 997), "units": 8 + i % 505,
                  "activation": ["relu", "tanh", "sigmoid"][i % 3]}
        batch.append(optuna.trial.create_trial(params=params, distributions=distributions, value=1.0 + (i % 101) / 100))
    study.add_trials(batch)
    port = 8790
    executable = os.path.join(os.path.dirname(sys.executable), "optuna-dashboard")
    server = subprocess.Popen([executable, storage, "--port", str(port), "--host", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/dashboard/studies/1" % port
    driver = browser()
    result = {}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")
                break
            except OSError:
                time.sleep(0.1)
        fcp, shown = [], []
        for _ in range(rounds):
            driver.get("about:blank")
            start = time.perf_counter()
            driver.get(url)
            # The trials are drawn once the best trial is named (the page loads them after its paint).
            while "Best Trial (number=" not in driver.find_element(By.TAG_NAME, "body").text:
                if time.perf_counter() - start > 120:
                    break
                time.sleep(0.02)
            shown.append((time.perf_counter() - start) * 1000)
            fcp.append(timing(driver)[2])
        result["first_contentful_paint_ms"] = statistics.median(fcp)
        result["trials_shown_ms"] = statistics.median(shown)
        # New best trials, one a second: how long until the page names each.
        delays = []
        stop = time.monotonic() + seconds
        value = 0.0
        while time.monotonic() < stop:
            value -= 1
            study.add_trial(optuna.trial.create_trial(
                params={"learning_rate": 0.01, "units": 64, "activation": "relu"}, distributions=distributions,
                value=value))
            added = time.perf_counter()
            number = len(study.get_trials(deepcopy=False)) - 1
            wanted = "Best Trial (number=%d)" % number
            while wanted not in driver.find_element(By.TAG_NAME, "body").text:
                if time.perf_counter() - added > 30:
                    break
                time.sleep(0.05)
            delays.append((time.perf_counter() - added) * 1000)
            time.sleep(max(0.0, 1 - (time.perf_counter() - added)))
        result["delay_p50_ms"] = percentile(delays, 0.5)
        result["delay_p95_ms"] = percentile(delays, 0.95)
        result["updates"] = float(len(delays))
    finally:
        driver.quit()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:  # its server can ignore SIGTERM while a client is connected
            server.kill()
            server.wait()
    return result


mode = sys.argv[1]
if mode == "paint":
    print(json.dumps(paint(sys.argv[2], int(sys.argv[3]))))
elif mode == "api":
    print(json.dumps(api(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))))
elif mode == "live":
    print(json.dumps(live(sys.argv[2], float(sys.argv[3]))))
elif mode == "optuna":
    print(json.dumps(optuna_dashboard(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))))
else:
    sys.exit("unknown mode " + mode)
