"""Ten consultants on one server, seen from the server: Streamlit's own protocol, no browser on this machine.

    python benchmarks/bench_load_server.py                       # 100,000 documents a side, 1 then 10 sessions
    python benchmarks/bench_load_server.py --docs 20000 --sessions 1 3 --rounds 1
    python benchmarks/bench_load_server.py --workdir /tmp/load   # keeps the prepared workspace between runs
    python benchmarks/bench_load_server.py --sessions 10 --browsers 1 --warm   # one of the ten in Chromium
    python benchmarks/bench_load_server.py --sessions 10 --browsers 1 --warm grid   # ... that saw a grid before

``bench_load.py`` drives ten Chromiums, and on a two-core machine they take the cores from the server they
measure: each needs about 6 CPU seconds to draw Streamlit's page. A firm's consultants each have their own
machine, so this script plays the browser's part on the wire instead. Each session opens Streamlit's
websocket (``/_stcore/stream``) as the browser does and speaks its protobuf messages:

1. asks for the Reconcile page of the client (``rerun_script`` with the address's page and query string);
2. receives the sign-in form, fills the user name and password and presses Sign in (the form's widget
   states, as the browser sends them);
3. receives the signed-in Reconcile page until the grid's component arrives with its rows (the moment the
   browser could start drawing it), then until the run has finished.

Meanwhile another signed-in session moves between the Clients and Import pages once a second (the sidebar's
page switch: ``rerun_script`` with the page's hash) and records how long each run takes from request to
its last message. The server's resident memory is sampled before, during, right after the sessions close
and after a wait, as in ``bench_load.py``.

With ``--browsers K`` (``--sessions 10 --browsers 1``: nine protocol clients and one Chromium, all started
together), K of each round's sessions are real headless Chromiums (``bench_load.open_grid``: sign-in, tab
labels, the grid's first rows drawn) and the rest speak the protocol. It stands for what one consultant sees
in their own browser while the server carries the other sessions: each consultant has their own machine, so
only that one browser shares the cores with the server here, not ten. ``--warm`` makes the browsers
returning consultants' (``bench_load.new_context``: the app's scripts already in their cache; ``--warm
grid``: they have opened a Reconcile grid before, so the grid's script is cached as well). The browsers'
CPU seconds (all Chromium processes, warming excluded) are printed beside the server's.

Goals (issue 13): every session has its grid within 15 s, other pages answer within 1 s meanwhile, memory
returns near the baseline after the sessions close. What is left to the browser is drawing the page on the
consultant's machine (``--browsers``, ``bench_load.py`` and ``bench_browser.py`` measure that part).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from benchmarks import bench_load  # noqa: E402
from benchmarks.bench_load import (  # noqa: E402
    benchmark,
    browser_cpu,
    load_arguments,
    mb,
    rounds_of,
    sample_rss,
    tree_cpu,
    tree_rss,
)
from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USER, ARGS, CHROMIUM  # noqa: E402

TIMEOUT_S = float(os.environ.get("BENCH_LOAD_TIMEOUT_S", "300"))  # a session later than this failed
PROBE_EVERY = 1.0
FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
# --browsers: how many of a round's sessions are real Chromiums (the consultant's own browser), the rest
# protocol clients; --warm: those browsers have opened the app before ("grid": its Reconcile grid too).
BROWSERS = 0
WARM: str | None = None


@dataclass
class Page:
    """What one run sent: its widgets by label, whether the grid came, and how the run ended."""

    widgets: dict[str, str] = field(default_factory=dict)  # label -> widget id
    headings: list[str] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    grid_at: float | None = None
    finished: int | None = None


class Session:
    """One browser tab's websocket to the app, without the browser."""

    def __init__(self, socket, page: str, query: dict) -> None:
        self.socket, self.page_name, self.query = socket, page, urlencode(query)
        self.page_hash = ""

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, base: str, page: str, query: dict):
        url = base.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(
            url, subprotocols=["streamlit"], origin=base, max_size=None, open_timeout=TIMEOUT_S
        ) as socket:
            yield cls(socket, page, query)

    async def rerun(self, widget_states=(), page_hash: str | None = None) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_name = self.page_name
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        state.widget_states.widgets.extend(widget_states)
        await self.socket.send(message.SerializeToString())

    async def until_finished(self, started: float) -> Page:
        """Read the run's messages until it finishes (a run ended early for a rerun goes on to the next)."""
        page = Page()
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), TIMEOUT_S)
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = message.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                page.pages = {p.url_pathname: p.page_script_hash for p in message.navigation.app_pages}
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "delta":
                note_element(page, message, started)
            elif kind == "script_finished" and message.script_finished == FINISHED:
                page.finished = message.script_finished
                return page

    async def sign_in(self, form: Page) -> None:
        """Type the user name and password into the sign-in form and press its button, as one message."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        name, password, button = (WidgetState(), WidgetState(), WidgetState())
        name.id, name.string_value = form.widgets["User name"], ADMIN_USER
        password.id, password.string_value = form.widgets["Password"], ADMIN_PASSWORD
        button.id, button.trigger_value = form.widgets["Sign in"], True
        await self.rerun([name, password, button])


def note_element(page: Page, message: ForwardMsg, started: float) -> None:
    delta = message.delta
    if delta.WhichOneof("type") != "new_element":
        return
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind in ("text_input", "button"):
        widget = getattr(element, kind)
        page.widgets[widget.label] = widget.id
    elif kind == "heading":
        page.headings.append(element.heading.body)
    elif kind == "component_instance" and "aggrid" in element.component_instance.component_name.lower():
        page.grid_at = page.grid_at or time.perf_counter() - started


async def open_grid(base: str, query: dict) -> dict | None:
    """Seconds from opening the Reconcile page until the grid's rows arrive and until the run has finished."""
    started = time.perf_counter()
    try:
        async with Session.open(base, "reconcile", query) as session:
            await session.rerun()
            form = await session.until_finished(started)
            signed_at = time.perf_counter() - started
            await session.sign_in(form)
            page = await session.until_finished(started)
            if page.grid_at is None:
                raise RuntimeError(f"no grid on the page (widgets: {sorted(page.widgets)[:8]})")
            return {"form": signed_at, "grid": page.grid_at, "done": time.perf_counter() - started}
    except Exception as err:  # noqa: BLE001 - a failed session is a figure of the benchmark, not a crash
        print(f"  a session failed: {type(err).__name__}: {str(err)[:200]}", flush=True)
        return None


async def probe_light_pages(base: str, query: dict, stop: asyncio.Event, times: list[float]) -> None:
    """One signed-in session switching between Import and Clients once a second until ``stop``."""
    async with Session.open(base, "clients", query) as session:
        await session.rerun()
        await session.sign_in(await session.until_finished(time.perf_counter()))
        pages = (await session.until_finished(time.perf_counter())).pages
        for name in itertools.cycle(("import", "clients")):
            if stop.is_set():
                break
            started = time.perf_counter()
            session.page_name = name
            await session.rerun(page_hash=pages[name])
            try:
                shown = await session.until_finished(started)
                times.append(time.perf_counter() - started)
            except TimeoutError:
                times.append(TIMEOUT_S)
                continue
            if name.title() not in shown.headings:  # signed out, or another page: not an answer
                raise RuntimeError(f"the {name} page did not show; headings {shown.headings}")
            rest = PROBE_EVERY - (time.perf_counter() - started)
            if rest > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), rest)


async def one_round(base: str, query: dict, sessions: int, pid: int, browser=None) -> dict:
    """``sessions`` sessions at once: ``BROWSERS`` of them in ``browser`` (Chromium), the others on the wire."""
    in_browser = min(BROWSERS, sessions) if browser else 0
    reconcile = f"{base}/reconcile?{urlencode(query)}"
    warm_url = (reconcile if WARM == "grid" else f"{base}/clients?{urlencode(query)}") if WARM else None
    contexts = [await bench_load.new_context(browser, warm_url, WARM == "grid") for _ in range(in_browser)]
    cpu_seen: dict[int, float] = {}
    before, cpu, started = tree_rss(pid), tree_cpu(pid), time.perf_counter()
    client_cpu = browser_cpu(cpu_seen)  # after warming: only this round's page loads count
    stop = asyncio.Event()
    probe_times: list[float] = []
    samples: list[int] = []
    probe = asyncio.create_task(probe_light_pages(base, query, stop, probe_times))
    sampler = asyncio.create_task(sample_rss(pid, stop, samples, cpu_seen))
    await asyncio.sleep(3 * PROBE_EVERY)  # the light page answers a few times before the sessions arrive
    quiet = len(probe_times)
    tabs: list[float] = []
    results = await asyncio.gather(
        *(open_grid(base, query) for _ in range(sessions - in_browser)),
        *(bench_load.open_grid(browser, reconcile, tabs, context) for context in contexts),
    )
    stop.set()
    await asyncio.gather(probe, sampler)
    return {
        "sessions": sessions,
        "results": results[: sessions - in_browser],
        "browser_grid": results[sessions - in_browser :],
        "browser_tabs": tabs,
        "probe": probe_times[quiet:] or probe_times,
        "rss_before": before,
        "rss_peak": max(samples, default=before),
        "rss_closed": tree_rss(pid),
        "wall": time.perf_counter() - started,
        "server_cpu": tree_cpu(pid) - cpu,
        "browser_cpu": browser_cpu(cpu_seen) - client_cpu,
    }


async def run(base: str, query: dict, counts: list[int], rounds: int, pid: int, wait: float) -> list[dict]:
    async with contextlib.AsyncExitStack() as stack:
        browser = None
        if BROWSERS:
            playwright = await stack.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            stack.push_async_callback(browser.close)
        return await rounds_of(
            counts,
            rounds,
            wait,
            pid,
            lambda sessions: one_round(base, query, sessions, pid, browser),
            print_row,
        )


def print_header(wait: float) -> None:
    in_browser = (
        f" {'br tabs s':>9} {'br grid s':>9} {'br failed':>9} {'browser CPU s':>13}" if BROWSERS else ""
    )
    print(
        f"{'N':>3} {'form max s':>10} {'grid max s':>10} {'grid med s':>10} {'done max s':>10} {'failed':>6} "
        f"{'probe max s':>11} {'probe med s':>11} {'RSS before':>10} {'peak':>8} {'closed':>8} "
        f"{f'+{wait:.0f}s':>8} {'load':>5} {'wall s':>7} {'server CPU s':>12}{in_browser}   (RSS in MB; "
        f"grid, form, done: the protocol sessions; br: the {BROWSERS} Chromium session(s), slowest)"
    )


def print_row(r: dict, wait: float) -> None:
    done = [x for x in r["results"] if x is not None]
    grids = [x["grid"] for x in done] or [float("nan")]
    probe = r["probe"] or [float("nan")]
    in_browser = ""
    if BROWSERS:
        drawn = [t for t in r["browser_grid"] if t is not None]
        in_browser = (
            f" {max(r['browser_tabs'], default=float('nan')):>9.2f} {max(drawn, default=float('nan')):>9.2f} "
            f"{len(r['browser_grid']) - len(drawn):>9} {r['browser_cpu']:>13.1f}"
        )
    print(
        f"{r['sessions']:>3} {max((x['form'] for x in done), default=float('nan')):>10.2f} "
        f"{max(grids):>10.2f} {statistics.median(grids):>10.2f} "
        f"{max((x['done'] for x in done), default=float('nan')):>10.2f} {len(r['results']) - len(done):>6} "
        f"{max(probe):>11.2f} {statistics.median(probe):>11.2f} {mb(r['rss_before']):>10} "
        f"{mb(r['rss_peak']):>8} {mb(r['rss_closed']):>8} {mb(r['rss_after_wait']):>8} {r['load']:>5.1f} "
        f"{r['wall']:>7.0f} {r['server_cpu']:>12.1f}{in_browser}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_arguments(parser)
    parser.add_argument(
        "--browsers",
        type=int,
        default=0,
        help="of each round's sessions, this many are real Chromiums (a consultant's own browser)",
    )
    parser.add_argument(
        "--warm",
        nargs="?",
        const="app",
        choices=("app", "grid"),
        default=None,
        help="the Chromium sessions have opened the app before (untimed); --warm grid: its Reconcile grid too",
    )
    args = parser.parse_args()
    global BROWSERS, WARM
    BROWSERS, WARM = args.browsers, args.warm
    benchmark(
        args,
        lambda base, client_id, period, pid: run(
            base, {"client": client_id, "period": period}, args.sessions, args.rounds, pid, args.wait
        ),
        print_header,
        print_row,
    )


if __name__ == "__main__":
    main()
