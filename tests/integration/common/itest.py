"""Helpers shared by the integration test drivers (real processes, the real broker)."""
import time
import urllib.request


def logger(tag):
    """A print function that stamps each line with the test's tag and the time."""
    def log(msg):
        print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", flush=True)
    return log


def scrape_metrics(port, tries=50):
    """A process's /metrics text; it may be (re)starting, so a few tries. None if it never answers."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.2)
    return None
