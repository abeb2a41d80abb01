"""Ten consultants on one server: time-to-grid per session, other pages' response, server memory.

    python benchmarks/bench_load.py                          # 100,000 documents a side, 1 then 10 sessions
    python benchmarks/bench_load.py --docs 20000 --sessions 1 3 --rounds 1
    python benchmarks/bench_load.py --workdir /tmp/load      # keeps the prepared workspace between runs
    python benchmarks/bench_load.py --browser-nice 19        # the sessions' browsers yield the cores to the server
    python benchmarks/bench_load.py --warm                   # returning consultants: browsers that opened the app before

One client's books and IMS are imported and reconciled through the workspace API (untimed, before the
server starts), then the real app is started (``streamlit run``, loopback only, as the browser tests do).
For each session count N, one headless Chromium opens N browser contexts that all open the Reconcile page of
that client at once and wait for the grid's first rows (the AgGrid iframe); meanwhile another page opens the
Clients and Import pages by turns once a second (one signed-in session, its sidebar links) and records how
long each takes to show. Every session signs in first (the timed path includes it). The server's resident
memory (the process tree, psutil) is sampled before, during, right after the sessions close and again after
a wait (Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` seconds).

Goals (issue 13): every session sees the grid within 15 s, other pages answer within 1 s meanwhile, memory
returns near the baseline after the sessions close. Prints a table and the machine's load average (the
machine may be shared: read the figures with it); asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from benchmarks.bench_browser import write_books_csv, write_ims_json  # noqa: E402
from recon.store import Store  # noqa: E402
from recon.workspace import Workspace  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    ADMIN_PASSWORD,
    ADMIN_USER,
    ARGS,
    CHROMIUM,
    start_server,
    stop_server,
)

GRID = 'iframe[title="st_aggrid.AgGrid.agGrid"]:visible'
FIRST_ROW = ".ag-center-cols-container .ag-row"
TIMEOUT_MS = int(os.environ.get("BENCH_LOAD_TIMEOUT_S", "300")) * 1000  # a session later than this failed
PROBE_EVERY = 1.0
# --server-only: the grids' component pages are not loaded, so "grid" is the time until the server has sent
# the whole page with every grid's rows: ten consultants on their own machines, seen from the server.
SERVER_ONLY = False
# --browser-nice: the Chromium processes yield the cores to the server, as browsers on the consultants' own
# machines would; the server's answers are then timed without ten page renderers competing with it.
BROWSER_NICE = 0
PROBE_PIDS: set[int] = set()  # the probe's own browser: another consultant's machine, never lowered
# --warm: every session's browser has opened the app before, as a consultant's has (see new_context).
WARM = False


def prepare(folder: Path, docs: int, seed: int) -> tuple[int, str]:
    """A workspace with one reconciled client of ``docs`` documents a side (reused when already there)."""
    ws = Workspace(Store(f"sqlite:///{folder / 'workbench.db'}"))
    try:
        for client in ws.clients():
            if ws.ready(client.id, client.return_period)[0]:
                print(f"reusing client {client.id} in {folder}", flush=True)
                return client.id, client.return_period
        from recon.synth import generate

        started = time.perf_counter()
        corpus = generate(seed=seed, n_docs=docs, fast=True)
        books_file, ims_file = folder / "purchase_register.csv", folder / "ims.json"
        write_books_csv(corpus.books, books_file)
        write_ims_json(corpus.ims, corpus.client.gstin, ims_file)
        client = ws.create_client(corpus.client.name, corpus.client.gstin, corpus.client.period)
        for path, kind in ((books_file, "books"), (ims_file, "ims")):
            ws.import_file(client.id, client.return_period, path.read_bytes(), path.name, kind=kind)
        ws.reconcile(client.id, client.return_period)
        print(
            f"prepared {corpus.books.height:,} books and {corpus.ims.height:,} IMS documents "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        return client.id, client.return_period
    finally:
        ws.store.dispose()


def tree_rss(pid: int) -> int:
    """Resident bytes of the server process and its children."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (user + system)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def browser_cpu(seen: dict[int, float]) -> float:
    """CPU seconds of the Chromium processes this benchmark started, including those closed since.

    ``seen`` keeps each process's last reading (a page's renderer is gone once its context closes).
    """
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "chrom" in proc.name():
                if BROWSER_NICE and proc.nice() < BROWSER_NICE and not is_probe(proc):
                    proc.nice(BROWSER_NICE)
                times = proc.cpu_times()
                seen[proc.pid] = times.user + times.system
    return sum(seen.values())


def is_probe(proc: psutil.Process) -> bool:
    return any(p.pid in PROBE_PIDS for p in (proc, *proc.parents()))


def chromium_pids() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if "chrom" in p.name()}


async def wait_script_done(page) -> None:
    await page.wait_for_timeout(100)
    await page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=TIMEOUT_MS
    )


async def sign_in(page) -> None:
    """The sign-in form every new session starts with (the server's first admin); part of the timed path."""
    form = page.get_by_test_id("stForm")
    await form.get_by_label("User name").fill(ADMIN_USER)
    await form.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    await form.get_by_role("button", name="Sign in").click()
    await page.get_by_text(f"Signed in as {ADMIN_USER}").wait_for(timeout=TIMEOUT_MS)


async def new_context(browser, warm_url: str | None, grid: bool = False):
    """A browser context for one consultant; with ``warm_url``, one that has opened the app before.

    A fresh context has an empty cache: it downloads and compiles Streamlit's and the grid's scripts, as
    a browser does on its very first visit only. Warming it (untimed) opens the app's sign-in page and a
    grid-free page, so the timed visit is a returning consultant's; with ``grid`` (``warm_url`` is then a
    Reconcile page) it also signs in and waits for the grid, so the grid's script is in the cache too.
    """
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    if warm_url:
        page = await context.new_page()
        await page.goto(warm_url, timeout=TIMEOUT_MS)
        await page.get_by_test_id("stForm").wait_for(timeout=TIMEOUT_MS)
        if grid:
            await sign_in(page)
            await (
                page.frame_locator(GRID)
                .locator(FIRST_ROW)
                .first.wait_for(state="visible", timeout=TIMEOUT_MS)
            )
        await page.close()
    return context


async def open_grid(browser, url: str, tabs_shown: list[float], context=None) -> float | None:
    """Seconds from opening the Reconcile page until the grid shows its first rows (in ``context``, else
    a fresh one).

    On the way, the time until the tab labels show (the server has computed the client's table and sent
    the page) goes to ``tabs_shown``: what is left after it is sending and drawing the grid's rows.
    """
    context = context or await browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = await context.new_page()
        if SERVER_ONLY:
            await context.route("**/component/**", lambda route: route.abort())
        started = time.perf_counter()
        await page.goto(url, timeout=TIMEOUT_MS)
        await sign_in(page)
        await page.get_by_role("tab", name=re.compile("Matched with ITC")).wait_for(timeout=TIMEOUT_MS)
        tabs_shown.append(time.perf_counter() - started)
        if SERVER_ONLY:
            await wait_script_done(page)  # the server has sent every grid's rows; no grid draws them here
            return time.perf_counter() - started
        await page.frame_locator(GRID).locator(FIRST_ROW).first.wait_for(state="visible", timeout=TIMEOUT_MS)
        return time.perf_counter() - started
    except Exception as err:  # noqa: BLE001 - a failed session is a figure of the benchmark, not a crash
        print(f"  a session failed: {type(err).__name__}: {str(err).splitlines()[0]}", flush=True)
        with contextlib.suppress(Exception):
            shots = Path(os.environ.get("SHOT_DIR") or ROOT / "artifacts")
            shots.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(shots / f"bench-load-failed-{id(page)}.png"))
        return None
    finally:
        await context.close()


async def probe_light_page(browser, url: str, stop: asyncio.Event, times: list[float]) -> None:
    """Move between two light pages (Clients, Import) once a second until ``stop``; record each time
    from the click on the sidebar link until the page's heading shows and its run has finished.

    One signed-in session moves with the sidebar, as a consultant does (a typed URL would start a new
    session, with its own sign-in).
    """
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.goto(url, timeout=60_000)
    await sign_in(page)
    await wait_script_done(page)
    nav = page.get_by_test_id("stSidebarNavItems")
    try:
        for name in itertools.cycle(("Import", "Clients")):
            if stop.is_set():
                break
            started = time.perf_counter()
            try:
                await nav.get_by_role("link", name=name).click()
                await page.get_by_role("heading", name=name).first.wait_for(timeout=60_000)
                await wait_script_done(page)
                times.append(time.perf_counter() - started)
            except Exception as err:  # noqa: BLE001 - recorded as a minute, the probe's own limit
                print(f"  a probe failed: {type(err).__name__}: {str(err).splitlines()[0]}", flush=True)
                times.append(60.0)
            rest = PROBE_EVERY - (time.perf_counter() - started)
            if rest > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), rest)
    finally:
        await context.close()


async def sample_rss(pid: int, stop: asyncio.Event, peaks: list[int], browser: dict[int, float]) -> None:
    while not stop.is_set():
        peaks.append(tree_rss(pid))
        browser_cpu(browser)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def one_round(browsers, base: str, client_id: int, period: str, sessions: int, pid: int) -> dict:
    browser, probe_browser = browsers
    reconcile = f"{base}/reconcile?client={client_id}&period={period}"
    clients = f"{base}/clients?client={client_id}&period={period}"
    before = tree_rss(pid)
    cpu_seen: dict[int, float] = {}
    server_cpu, client_cpu, started = tree_cpu(pid), browser_cpu(cpu_seen), time.perf_counter()
    stop = asyncio.Event()
    probe_times: list[float] = []
    rss_samples: list[int] = []
    probe = asyncio.create_task(probe_light_page(probe_browser, clients, stop, probe_times))
    sampler = asyncio.create_task(sample_rss(pid, stop, rss_samples, cpu_seen))
    await asyncio.sleep(PROBE_EVERY)  # the light page answers once before the sessions arrive
    tabs: list[float] = []
    contexts = [None] * sessions
    if WARM:  # the consultants' browsers have opened the app before (their caches hold its scripts)
        contexts = [await new_context(browser, clients) for _ in range(sessions)]
        server_cpu, client_cpu = tree_cpu(pid), browser_cpu(cpu_seen)
    grid_times = await asyncio.gather(*(open_grid(browser, reconcile, tabs, context) for context in contexts))
    stop.set()
    await asyncio.gather(probe, sampler)
    return {
        "sessions": sessions,
        "grid": grid_times,
        "tabs": tabs,
        "probe": probe_times,
        "rss_before": before,
        "rss_peak": max(rss_samples, default=before),
        "rss_closed": tree_rss(pid),
        "wall": time.perf_counter() - started,
        "server_cpu": tree_cpu(pid) - server_cpu,
        "browser_cpu": browser_cpu(cpu_seen) - client_cpu,
    }


async def rounds_of(
    counts: list[int], rounds: int, wait: float, pid: int, one_round, print_row
) -> list[dict]:
    """``rounds`` rounds per session count: ``await one_round(sessions)``, then ``wait`` seconds, then the
    server's memory left and the machine's load, printed as ``print_row`` prints a round."""
    results = []
    for sessions in counts:
        for number in range(1, rounds + 1):
            print(f"{sessions} session(s), round {number} ...", flush=True)
            result = await one_round(sessions)
            await asyncio.sleep(wait)
            result["rss_after_wait"] = tree_rss(pid)
            result["load"] = os.getloadavg()[0]
            results.append(result)
            print_row(result, wait)
    return results


async def run(base: str, client_id: int, period: str, counts: list[int], rounds: int, pid: int, wait: float):
    async with async_playwright() as playwright:
        probe_browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        PROBE_PIDS.update(chromium_pids())
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        browser_cpu(
            {}
        )  # with --browser-nice, lowers the sessions' browser now: its page processes inherit it
        try:
            return await rounds_of(
                counts,
                rounds,
                wait,
                pid,
                lambda sessions: one_round((browser, probe_browser), base, client_id, period, sessions, pid),
                print_row,
            )
        finally:
            await browser.close()
            await probe_browser.close()


def mb(value: int) -> str:
    return f"{value / 1024**2:,.0f}"


def print_header(wait: float) -> None:
    print(
        f"{'N':>3} {'tabs max s':>10} {'grid max s':>10} {'grid med s':>10} {'failed':>6} {'probe max s':>11} {'probe med s':>11} "
        f"{'RSS before':>10} {'peak':>8} {'closed':>8} {f'+{wait:.0f}s':>8} {'load':>5} "
        f"{'wall s':>7} {'server CPU s':>12} {'browser CPU s':>13}   (RSS in MB)"
    )


def print_row(r: dict, wait: float) -> None:
    done = [t for t in r["grid"] if t is not None]
    probe = r["probe"] or [float("nan")]
    print(
        f"{r['sessions']:>3} {max(r['tabs'], default=float('nan')):>10.1f} {max(done, default=float('nan')):>10.1f} "
        f"{statistics.median(done) if done else float('nan'):>10.1f} {len(r['grid']) - len(done):>6} "
        f"{max(probe):>11.2f} {statistics.median(probe):>11.2f} {mb(r['rss_before']):>10} "
        f"{mb(r['rss_peak']):>8} {mb(r['rss_closed']):>8} {mb(r['rss_after_wait']):>8} {r['load']:>5.1f} "
        f"{r['wall']:>7.0f} {r['server_cpu']:>12.1f} {r['browser_cpu']:>13.1f}",
        flush=True,
    )


def load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every load benchmark takes: the client's size, the session counts, rounds and waits."""
    parser.add_argument("--docs", type=int, default=100_000, help="documents a side (default 100,000)")
    parser.add_argument(
        "--sessions", type=int, nargs="+", default=[1, 10], help="session counts (default 1 10)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds per session count (memory growth)")
    parser.add_argument("--wait", type=float, default=20.0, help="seconds after the sessions close")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the prepared workspace here")
    parser.add_argument(
        "--session-ttl",
        type=int,
        default=None,
        help="server.disconnectedSessionTTL for the server (default: the app's setting)",
    )


def benchmark(args, rounds, print_header, print_row) -> None:
    """Prepare the client, start the app, play ``rounds(base, client_id, period, pid)`` (a coroutine giving
    the rounds' results) and print them again as a summary with the machine's load."""
    if args.session_ttl is not None:
        os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.session_ttl)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        folder = args.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        client_id, period = prepare(folder, args.docs, args.seed)
        print(f"load average before the server starts: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        process, base = start_server(folder, demo=False)
        try:
            print_header(args.wait)
            results = asyncio.run(rounds(base, client_id, period, process.pid))
        finally:
            stop_server(process)
    print("\nsummary")
    print_header(args.wait)
    for result in results:
        print_row(result, args.wait)
    print(
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_arguments(parser)
    parser.add_argument(
        "--server-only",
        action="store_true",
        help="do not draw the grids (their component pages are blocked): time until the server sent it all",
    )
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="run the browsers at this niceness (e.g. 19): the server is not kept from its cores by them",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="each session's browser has opened the app before (untimed): its cache holds the scripts",
    )
    args = parser.parse_args()
    global SERVER_ONLY, BROWSER_NICE, WARM
    SERVER_ONLY = args.server_only
    BROWSER_NICE = args.browser_nice
    WARM = args.warm
    benchmark(
        args,
        lambda base, client_id, period, pid: run(
            base, client_id, period, args.sessions, args.rounds, pid, args.wait
        ),
        print_header,
        print_row,
    )


if __name__ == "__main__":
    main()
