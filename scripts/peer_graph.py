#!/usr/bin/env python3
"""Peer implementations of FlowTrace's two graph kernels, for comparing against the Swift ones.

Usage:
    python3 scripts/peer_graph.py --fixture DIR [--hops 6] [--runs 3]
        [--peers igraph,networkx,duckdb,sqlite] --out RESULT.json
        [--compare FLOWTRACE_TRACE.json] [--compare-reach REACHED.txt]

Input fixture (directory DIR)
    DIR/transfers.csv  header ``from,to,amount,asset,timestamp,tx,decimals`` (columns found by name).
                       Each row is a directed edge from -> to carrying ``amount`` (a positive integer in
                       base units). Only from, to and amount are used: asset, timestamp, tx and decimals
                       are ignored. Edges are expected to be unique (from, to) pairs; if they are not,
                       parallel edges are kept (igraph, SQL) or merged with their amounts summed
                       (networkx), which gives the same results for both kernels.
    DIR/seeds.txt      one node name per line; blank lines are skipped and duplicates removed.

Kernels (timestamps are ignored entirely)
    reach     The set of nodes at directed distance <= H from any seed, including the seeds themselves
              (distance 0, even a seed that appears in no edge). Reported as the count and the SHA-256
              hex digest of the node names sorted by code point, each followed by "\\n"
              (i.e. "\\n".join(sorted(names)) + "\\n").
    haircut   Static haircut over H hops. Every seed s starts at hop 0 with taint T_s = the sum of the
              amounts of s's out-edges. In rounds h = 0 .. H-1 every node v holding taint x at hop h
              that has out-edges sends x * amount(e) / outTotal(v) along each out-edge e = (v, w), to
              arrive at w at hop h+1 (taint reaching a node in the same round is summed; taint from
              different seeds is simply added). A node holding taint at hop h with no out-edges keeps
              it as a sink ("unspent"). After round H-1 the taint at hop H stays where it is (a sink,
              "hop-limit"). The result is, per node, the total of all its sink amounts (zero amounts
              are dropped); their sum equals sum(T_s) up to float64 error. All peers use float64.

Peers (each loads the data itself; load_s is timed apart from the kernels)
    igraph    Load: csv module, node names interned to integer ids in a dict, Graph built from the
              integer edge list (amounts as an edge attribute); with numpy, the edge arrays are
              exported from the graph once at load. reach: one Graph.neighborhood(seeds, order=H,
              mode="out") call (a bounded BFS per seed in C) and the union of the results. haircut:
              with numpy, H vectorised rounds (bincount over the edge arrays); without numpy, plain
              Python rounds over Graph.incident(v, mode="out").
    networkx  Load: csv module into a DiGraph with an "amount" edge attribute. reach: nx.bfs_layers
              from all seeds at once (multi-source BFS), stopped after layer H. haircut: Python rounds
              over the successors of the nodes holding taint.
    duckdb    Load: read_csv into an in-memory table edges(src, dst, amount UBIGINT) plus a seeds
              table. reach: a recursive CTE over (node, depth) with UNION, which discards a row
              already produced, so each node is expanded at most once per depth and the recursion
              stops at depth H (at most H+1 rows per node); then SELECT DISTINCT node. haircut: a
              taint(hop, node, x) table filled by H INSERT ... SELECT ... GROUP BY rounds run from
              Python (out totals computed per round for the nodes holding taint only), then one
              GROUP BY query for the sinks (rows at hop H, or at nodes without out-edges).
    sqlite    The same SQL in an in-memory sqlite3 database, loaded with executemany from the csv
              module, with an index on edges(src) (and one on taint(hop, node)). Sums of amounts use
              total() (float) since SQLite's integer sum() raises on overflow.

Timing: every kernel runs --runs times (time.perf_counter); best and median seconds are reported. A
kernel's time covers producing its result as Python objects (the reached names, or the node -> amount
dict); sorting and hashing the reach set and writing files are not timed. All runs must give the same
result, or the script reports it.

Output: RESULT.json with, per peer, load_s, reach {best_s, median_s, count, sha256} and haircut {best_s,
median_s, total, seed_taint, sinks, sinks_file}; each peer's sink map is written next to it as
RESULT.haircut.<peer>.json (node -> amount; sinks_file is that name relative to RESULT.json's folder).
"agreement" compares the peers with one another. --compare reads a FlowTrace trace JSON (top-level
"sinks": [{"address": ..., "amount": "<decimal integer>"}, ...], amounts of one address summed) and
reports, per peer, the largest per-node absolute difference divided by the peer's total seed taint and
whether the sets of sink nodes with amount > 1e-6 * that total agree. --compare-reach reads a text file
of node names reached by FlowTrace and compares count and sha256. Both go to stdout as a table and into
RESULT.json under "comparison". Progress goes to stderr, one line per step.

Dependencies: the Python modules igraph, networkx, duckdb (PyPI: igraph, networkx, duckdb) for the peers
of the same names, and the standard library's sqlite3; numpy is optional (igraph's haircut). Only the
modules of the selected --peers are needed.
"""
from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import importlib
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from typing import Callable, Iterator

ALL_PEERS = ("igraph", "networkx", "duckdb", "sqlite")
# Python module (and PyPI package) each peer needs.
PEER_MODULES = {"igraph": ("igraph", "igraph"), "networkx": ("networkx", "networkx"),
                "duckdb": ("duckdb", "duckdb"), "sqlite": ("sqlite3", None)}
SINK_SET_THRESHOLD = 1e-6  # relative to total seed taint, for the sink-set comparison


def progress(message: str) -> None:
    print(f"[peer_graph] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Input


def read_transfers(path: str) -> Iterator[tuple[str, str, int]]:
    """Yields (from, to, amount) for every row of transfers.csv, found by header name."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        try:
            i_from, i_to, i_amount = header.index("from"), header.index("to"), header.index("amount")
        except ValueError:
            raise SystemExit(f"error: {path}: header must have columns from, to, amount; got {header}")
        for row in reader:
            if row:
                yield row[i_from], row[i_to], int(row[i_amount])


def read_names(path: str) -> list[str]:
    """Node names, one a line, blank lines skipped, duplicates removed (first occurrence kept)."""
    with open(path, encoding="utf-8") as handle:
        return list(dict.fromkeys(line.strip() for line in handle if line.strip()))


def reach_digest(names) -> str:
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Peers. Each has load(transfers, seeds), reach(hops) -> set of names, haircut(hops) -> {name: amount},
# and close(). `info` collects facts about the loaded data for RESULT.json.


class IgraphPeer:
    name = "igraph"

    def load(self, transfers: str, seeds: list[str]) -> None:
        import igraph
        try:
            import numpy
        except ImportError:
            numpy = None
        self.np = numpy
        ids: dict[str, int] = {}
        intern = ids.setdefault
        edges: list[tuple[int, int]] = []
        amounts: list[int] = []
        for src, dst, amount in read_transfers(transfers):
            edges.append((intern(src, len(ids)), intern(dst, len(ids))))
            amounts.append(amount)
        self.names = list(ids)  # id -> name (dicts keep insertion order)
        self.graph = igraph.Graph(n=len(self.names), edges=edges, directed=True,
                                  edge_attrs={"amount": amounts})
        del edges, amounts
        self.seed_ids = [ids[s] for s in seeds if s in ids]
        self.absent_seeds = [s for s in seeds if s not in ids]
        if numpy is not None:
            pairs = numpy.array(self.graph.get_edgelist(), dtype=numpy.int64).reshape(-1, 2)
            self.src, self.dst = pairs[:, 0].copy(), pairs[:, 1].copy()
            # float64 like the other peers; exact integers up to 2**53 only, as everywhere here.
            self.amount = numpy.array(self.graph.es["amount"], dtype=numpy.float64)
        else:
            self.amounts = self.graph.es["amount"]
            self.targets = [dst for _, dst in self.graph.get_edgelist()]
        self.info = {"nodes": self.graph.vcount(), "edges": self.graph.ecount(),
                     "haircut_impl": "numpy" if numpy is not None else "python"}

    def seed_taint(self) -> int:
        es = self.graph.es
        return sum(sum(es[self.graph.incident(v, mode="out")]["amount"]) for v in self.seed_ids)

    def reach(self, hops: int) -> set[str]:
        reached: set[int] = set()
        if self.seed_ids:
            for ball in self.graph.neighborhood(vertices=self.seed_ids, order=hops, mode="out"):
                reached.update(ball)
        names = self.names
        return {names[i] for i in reached} | set(self.absent_seeds)

    def haircut(self, hops: int) -> dict[str, float]:
        if self.np is not None:
            return self._haircut_numpy(hops)
        return self._haircut_python(hops)

    def _haircut_numpy(self, hops: int) -> dict[str, float]:
        np, n = self.np, len(self.names)
        out_total = np.bincount(self.src, weights=self.amount, minlength=n)
        has_out = out_total > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            share = self.amount / out_total[self.src]  # every edge's source has out_total > 0
        taint = np.zeros(n)
        seeds = np.array(self.seed_ids, dtype=np.int64)
        taint[seeds] = out_total[seeds]  # seeds are deduplicated, so plain assignment is right
        sink = np.zeros(n)
        for _ in range(hops):
            sink += np.where(has_out, 0.0, taint)  # unspent
            taint = np.bincount(self.dst, weights=taint[self.src] * share, minlength=n)
        sink += taint  # hop-limit
        names = self.names
        return {names[i]: float(sink[i]) for i in np.flatnonzero(sink)}

    def _haircut_python(self, hops: int) -> dict[str, float]:
        graph, amounts, targets = self.graph, self.amounts, self.targets
        out_edges = {}

        def edges_of(v):
            if v not in out_edges:
                out_edges[v] = graph.incident(v, mode="out")
            return out_edges[v]

        taint = {v: float(sum(amounts[e] for e in edges_of(v))) for v in self.seed_ids}
        sink: dict[int, float] = defaultdict(float)
        for _ in range(hops):
            arriving: dict[int, float] = defaultdict(float)
            for v, x in taint.items():
                incident = edges_of(v)
                if not incident:
                    sink[v] += x
                    continue
                total = sum(amounts[e] for e in incident)
                for e in incident:
                    arriving[targets[e]] += x * amounts[e] / total
            taint = arriving
        for v, x in taint.items():
            sink[v] += x
        names = self.names
        return {names[v]: x for v, x in sink.items() if x != 0.0}

    def close(self) -> None:
        self.__dict__.clear()


class NetworkxPeer:
    name = "networkx"

    def load(self, transfers: str, seeds: list[str]) -> None:
        import networkx as nx
        self.nx = nx
        graph = nx.DiGraph()
        rows = 0

        def counted(it):
            nonlocal rows
            for item in it:
                rows += 1
                yield item

        graph.add_weighted_edges_from(counted(read_transfers(transfers)), weight="amount")
        if graph.number_of_edges() != rows:
            progress(f"networkx: {rows - graph.number_of_edges()} repeated (from, to) pairs; "
                     "rebuilding with their amounts summed")
            graph = nx.DiGraph()
            succ_amount: dict[tuple[str, str], int] = defaultdict(int)
            for src, dst, amount in read_transfers(transfers):
                succ_amount[(src, dst)] += amount
            graph.add_weighted_edges_from(((s, d, a) for (s, d), a in succ_amount.items()),
                                          weight="amount")
        self.graph = graph
        self.seeds_present = [s for s in seeds if s in graph]
        self.absent_seeds = [s for s in seeds if s not in graph]
        self.info = {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "rows": rows}

    def seed_taint(self) -> int:
        succ = self.graph.succ
        return sum(d["amount"] for s in self.seeds_present for d in succ[s].values())

    def reach(self, hops: int) -> set[str]:
        reached = set(self.absent_seeds)
        if self.seeds_present:
            for depth, layer in enumerate(self.nx.bfs_layers(self.graph, self.seeds_present)):
                reached.update(layer)
                if depth >= hops:
                    break
        return reached

    def haircut(self, hops: int) -> dict[str, float]:
        succ = self.graph.succ
        taint = {s: float(sum(d["amount"] for d in succ[s].values())) for s in self.seeds_present}
        sink: dict[str, float] = defaultdict(float)
        for _ in range(hops):
            arriving: dict[str, float] = defaultdict(float)
            for v, x in taint.items():
                out = succ[v]
                if not out:
                    sink[v] += x
                    continue
                total = sum(d["amount"] for d in out.values())
                for w, d in out.items():
                    arriving[w] += x * d["amount"] / total
            taint = arriving
        for v, x in taint.items():
            sink[v] += x
        return {v: x for v, x in sink.items() if x != 0.0}

    def close(self) -> None:
        self.__dict__.clear()


# SQL shared by the duckdb and sqlite peers. `{sum}` is the float sum of amounts for the dialect.
REACH_SQL = """
WITH RECURSIVE r(node, depth) AS (
    SELECT node, 0 FROM seeds
    UNION
    SELECT e.dst, r.depth + 1 FROM r JOIN edges e ON e.src = r.node WHERE r.depth < {hops}
)
SELECT DISTINCT node FROM r
"""
HAIRCUT_SEED_SQL = """
INSERT INTO taint (hop, node, x)
SELECT 0, s.node, {sum} FROM seeds s JOIN edges e ON e.src = s.node GROUP BY s.node
"""
HAIRCUT_ROUND_SQL = """
INSERT INTO taint (hop, node, x)
SELECT {next_hop}, e.dst, SUM(t.x * e.amount / o.total)
FROM taint t
JOIN (SELECT e.src AS node, {sum} AS total
      FROM taint t JOIN edges e ON e.src = t.node
      WHERE t.hop = {hop} GROUP BY e.src) o ON o.node = t.node
JOIN edges e ON e.src = t.node
WHERE t.hop = {hop}
GROUP BY e.dst
"""
HAIRCUT_SINKS_SQL = """
SELECT t.node, SUM(t.x) FROM taint t
WHERE t.hop = {hops} OR NOT EXISTS (SELECT 1 FROM edges e WHERE e.src = t.node)
GROUP BY t.node
"""


class SqlPeer:
    """Shared kernel driver; subclasses provide the connection, load and dialect details."""
    sum_expr = ""
    taint_ddl = ""

    def seed_taint(self) -> int:
        rows = self.con.execute("SELECT e.amount FROM seeds s JOIN edges e ON e.src = s.node").fetchall()
        return sum(int(row[0]) for row in rows)

    def reach(self, hops: int) -> set[str]:
        return {row[0] for row in self.con.execute(REACH_SQL.format(hops=int(hops))).fetchall()}

    def haircut(self, hops: int) -> dict[str, float]:
        con = self.con
        con.execute("DROP TABLE IF EXISTS taint")
        for statement in self.taint_ddl:
            con.execute(statement)
        con.execute(HAIRCUT_SEED_SQL.format(sum=self.sum_expr))
        for hop in range(hops):
            con.execute(HAIRCUT_ROUND_SQL.format(sum=self.sum_expr, hop=hop, next_hop=hop + 1))
        rows = con.execute(HAIRCUT_SINKS_SQL.format(hops=int(hops))).fetchall()
        con.execute("DROP TABLE taint")
        return {node: float(x) for node, x in rows if x}

    def close(self) -> None:
        self.con.close()
        self.__dict__.clear()


class DuckdbPeer(SqlPeer):
    name = "duckdb"
    sum_expr = "SUM(CAST(e.amount AS DOUBLE))"
    taint_ddl = ("CREATE TEMP TABLE taint (hop INTEGER, node VARCHAR, x DOUBLE)",)

    def load(self, transfers: str, seeds: list[str]) -> None:
        import duckdb
        self.con = con = duckdb.connect(":memory:")
        con.execute(
            "CREATE TABLE edges AS SELECT \"from\" AS src, \"to\" AS dst, amount FROM read_csv(?, "
            "header = true, types = {'from': 'VARCHAR', 'to': 'VARCHAR', 'amount': 'UBIGINT'})",
            [transfers])
        con.execute("CREATE TABLE seeds (node VARCHAR PRIMARY KEY)")
        con.executemany("INSERT INTO seeds VALUES (?)", [(s,) for s in seeds])
        self.info = {"edges": con.execute("SELECT count(*) FROM edges").fetchone()[0],
                     "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}


class SqlitePeer(SqlPeer):
    name = "sqlite"
    sum_expr = "total(e.amount)"
    taint_ddl = ("CREATE TEMP TABLE taint (hop INTEGER, node TEXT, x REAL)",
                 "CREATE INDEX temp.taint_hop ON taint (hop, node)")

    def load(self, transfers: str, seeds: list[str]) -> None:
        import sqlite3
        self.con = con = sqlite3.connect(":memory:", isolation_level=None)
        con.execute("CREATE TABLE edges (src TEXT NOT NULL, dst TEXT NOT NULL, amount INTEGER NOT NULL)")
        con.execute("BEGIN")
        con.executemany("INSERT INTO edges VALUES (?, ?, ?)", read_transfers(transfers))
        con.execute("COMMIT")
        con.execute("CREATE INDEX edges_src ON edges (src)")
        con.execute("CREATE TABLE seeds (node TEXT PRIMARY KEY)")
        con.executemany("INSERT INTO seeds VALUES (?)", [(s,) for s in seeds])
        con.execute("ANALYZE")
        self.info = {"edges": con.execute("SELECT count(*) FROM edges").fetchone()[0]}


PEER_CLASSES = {"igraph": IgraphPeer, "networkx": NetworkxPeer, "duckdb": DuckdbPeer, "sqlite": SqlitePeer}


# ---------------------------------------------------------------------------------------------------
# Driver


def check_modules(peers: list[str]) -> dict[str, str]:
    """Imports each selected peer's module; exits naming the missing ones. Returns module versions."""
    versions, missing = {}, []
    for peer in peers:
        module_name, package = PEER_MODULES[peer]
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            hint = f"pip install {package}" if package else "a Python built with sqlite3"
            missing.append(f"peer '{peer}' needs the Python module '{module_name}' ({hint}): {error}")
            continue
        versions[module_name] = getattr(module, "__version__", None) or getattr(module, "sqlite_version", "?")
    if "igraph" in peers:
        try:
            import numpy
            versions["numpy"] = numpy.__version__
        except ImportError:
            progress("numpy not importable: igraph's haircut runs in plain Python")
    if missing:
        for line in missing:
            print(f"error: {line}", file=sys.stderr)
        print("error: install the missing module(s) or choose other peers with --peers", file=sys.stderr)
        raise SystemExit(2)
    return versions


def timed_runs(label: str, runs: int, kernel: Callable[[], object]) -> tuple[list[float], object]:
    times, first = [], None
    for run in range(runs):
        start = time.perf_counter()
        result = kernel()
        times.append(time.perf_counter() - start)
        progress(f"{label} run {run + 1}/{runs}: {times[-1]:.3f} s")
        if run == 0:
            first = result
        elif result != first and not _close_maps(result, first):
            raise SystemExit(f"error: {label}: run {run + 1} gave a different result from run 1")
    return times, first


def _close_maps(a, b) -> bool:
    """Float sums may reassociate between runs (e.g. duckdb's parallel aggregation)."""
    if not isinstance(a, dict) or a.keys() != b.keys():
        return False
    return all(math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=0.0) for k in a)


def summary(times: list[float]) -> dict[str, float]:
    return {"best_s": round(min(times), 6), "median_s": round(statistics.median(times), 6)}


def max_abs_diff(a: dict[str, float], b: dict[str, float]) -> tuple[float, str | None]:
    worst, where = 0.0, None
    for key in a.keys() | b.keys():
        diff = abs(a.get(key, 0.0) - b.get(key, 0.0))
        if diff > worst:
            worst, where = diff, key
    return worst, where


def sink_set(sinks: dict[str, float], total: float) -> set[str]:
    return {k for k, v in sinks.items() if v > SINK_SET_THRESHOLD * total}


def load_flowtrace_sinks(path: str) -> dict[str, int]:
    with open(path, encoding="utf-8") as handle:
        trace = json.load(handle)
    if not isinstance(trace, dict) or not isinstance(trace.get("sinks"), list):
        raise SystemExit(f"error: {path}: expected a top-level 'sinks' array")
    totals: dict[str, int] = defaultdict(int)
    for entry in trace["sinks"]:
        totals[str(entry["address"])] += int(str(entry["amount"]))
    return dict(totals)


def compare(args, results: dict, reach_sets: dict, sink_maps: dict) -> dict:
    comparison: dict = {}
    lines = []
    if args.compare_reach:
        names = read_names(args.compare_reach)
        count, sha = len(names), reach_digest(names)
        theirs = set(names)
        comparison["reach"] = {"file": args.compare_reach, "count": count, "sha256": sha, "peers": {}}
        lines.append(f"reach vs FlowTrace ({args.compare_reach}): count {count}, sha256 {sha[:16]}...")
        lines.append(f"  {'peer':<10} {'count':>10} {'sha256 match':>13} {'missing':>8} {'extra':>8}")
        for peer, reached in reach_sets.items():
            row = {"count": len(reached), "count_match": len(reached) == count,
                   "sha256_match": results[peer]["reach"]["sha256"] == sha,
                   "only_flowtrace": len(theirs - reached), "only_peer": len(reached - theirs),
                   "examples_only_flowtrace": sorted(theirs - reached)[:5],
                   "examples_only_peer": sorted(reached - theirs)[:5]}
            comparison["reach"]["peers"][peer] = row
            lines.append(f"  {peer:<10} {len(reached):>10} {str(row['sha256_match']):>13} "
                         f"{row['only_flowtrace']:>8} {row['only_peer']:>8}")
    if args.compare:
        exact = load_flowtrace_sinks(args.compare)
        flowtrace = {k: float(v) for k, v in exact.items() if v != 0}
        ft_total = sum(exact.values())
        comparison["haircut"] = {"file": args.compare, "sink_nodes": len(flowtrace), "total": str(ft_total),
                                 "peers": {}}
        lines.append(f"haircut vs FlowTrace ({args.compare}): {len(flowtrace)} sink nodes, total {ft_total}")
        lines.append(f"  {'peer':<10} {'max rel err':>12} {'worst node':>14} {'total rel diff':>15} "
                     f"{'sink sets agree':>16} {'peer/ft/common':>20}")
        for peer, sinks in sink_maps.items():
            total = results[peer]["haircut"]["seed_taint"] or 1.0
            worst, where = max_abs_diff(sinks, flowtrace)
            mine, theirs = sink_set(sinks, total), sink_set(flowtrace, total)
            row = {"max_rel_err": worst / total, "worst_node": where,
                   "total_rel_diff": abs(float(ft_total) - total) / total,
                   "sink_sets_agree": mine == theirs, "threshold": SINK_SET_THRESHOLD * total,
                   "peer_sink_nodes": len(mine), "flowtrace_sink_nodes": len(theirs),
                   "common_sink_nodes": len(mine & theirs),
                   "examples_only_peer": {k: sinks[k] for k in sorted(mine - theirs)[:5]},
                   "examples_only_flowtrace": {k: flowtrace[k] for k in sorted(theirs - mine)[:5]}}
            comparison["haircut"]["peers"][peer] = row
            lines.append(f"  {peer:<10} {row['max_rel_err']:>12.3e} {str(where)[:14]:>14} "
                         f"{row['total_rel_diff']:>15.3e} {str(row['sink_sets_agree']):>16} "
                         f"{f'{len(mine)}/{len(theirs)}/{len(mine & theirs)}':>20}")
    if lines:
        print("\n".join(lines))
    return comparison


def agreement(results: dict, reach_sets: dict, sink_maps: dict) -> dict:
    """Every peer against the first one that ran."""
    if not sink_maps:
        return {}
    base = next(iter(sink_maps))
    shas = {p: r["reach"]["sha256"] for p, r in results.items()}
    out = {"reference": base, "reach_sha256_all_equal": len(set(shas.values())) == 1, "haircut": {}}
    base_sinks, base_total = sink_maps[base], results[base]["haircut"]["seed_taint"] or 1.0
    for peer, sinks in sink_maps.items():
        worst, where = max_abs_diff(sinks, base_sinks)
        out["haircut"][peer] = {"max_rel_diff": worst / base_total, "worst_node": where,
                                "sink_sets_agree": sink_set(sinks, base_total) == sink_set(base_sinks, base_total)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Peer implementations (igraph, networkx, duckdb, sqlite) of "
                                     "FlowTrace's reach and static-haircut kernels.")
    parser.add_argument("--fixture", required=True, help="directory with transfers.csv and seeds.txt")
    parser.add_argument("--hops", type=int, default=6, help="H, the hop limit (default 6)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kernel (default 3)")
    parser.add_argument("--peers", default=",".join(ALL_PEERS), help="comma-separated subset of "
                        + ",".join(ALL_PEERS))
    parser.add_argument("--out", required=True, help="RESULT.json to write")
    parser.add_argument("--compare", metavar="FLOWTRACE_TRACE.json", help="FlowTrace trace JSON with 'sinks'")
    parser.add_argument("--compare-reach", metavar="FILE", help="node names reached by FlowTrace, one a line")
    args = parser.parse_args(argv)

    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEER_CLASSES]
    if unknown or not peers:
        parser.error(f"unknown peer(s) {unknown}; choose from {','.join(ALL_PEERS)}")
    peers = list(dict.fromkeys(peers))
    if args.hops < 0 or args.runs < 1:
        parser.error("--hops must be >= 0 and --runs >= 1")
    transfers = os.path.join(args.fixture, "transfers.csv")
    seeds_path = os.path.join(args.fixture, "seeds.txt")
    for path in (transfers, seeds_path) + tuple(p for p in (args.compare, args.compare_reach) if p):
        if not os.path.isfile(path):
            raise SystemExit(f"error: no such file: {path}")
    versions = check_modules(peers)
    versions["python"] = sys.version.split()[0]

    seeds = read_names(seeds_path)
    progress(f"fixture {args.fixture}: {len(seeds)} distinct seeds, hops {args.hops}, runs {args.runs}, "
             f"peers {','.join(peers)}")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.basename(args.out)
    stem = stem[:-5] if stem.endswith(".json") else stem

    results: dict = {}
    reach_sets: dict[str, set[str]] = {}
    sink_maps: dict[str, dict[str, float]] = {}
    for name in peers:
        peer = PEER_CLASSES[name]()
        progress(f"{name}: loading {transfers}")
        start = time.perf_counter()
        peer.load(transfers, seeds)
        load_s = time.perf_counter() - start
        progress(f"{name}: loaded in {load_s:.3f} s {peer.info}")

        times, reached = timed_runs(f"{name}: reach", args.runs, lambda: peer.reach(args.hops))
        reach = {**summary(times), "count": len(reached), "sha256": reach_digest(reached)}
        progress(f"{name}: reach {reach['count']} nodes, sha256 {reach['sha256'][:16]}..., "
                 f"best {reach['best_s']:.3f} s")

        times, sinks = timed_runs(f"{name}: haircut", args.runs, lambda: peer.haircut(args.hops))
        total = math.fsum(sinks.values())
        seed_taint_exact = peer.seed_taint()
        seed_taint = float(seed_taint_exact)
        sinks_file = f"{stem}.haircut.{name}.json"
        with open(os.path.join(out_dir, sinks_file), "w", encoding="utf-8") as handle:
            json.dump(dict(sorted(sinks.items())), handle, indent=0)
        haircut = {**summary(times), "total": total, "seed_taint": seed_taint,
                   "seed_taint_exact": str(seed_taint_exact), "sinks": len(sinks),
                   "sinks_file": sinks_file}
        if seed_taint and abs(total - seed_taint) > 1e-9 * seed_taint:
            progress(f"WARNING {name}: sink total {total!r} differs from seed taint {seed_taint!r}")
        progress(f"{name}: haircut {len(sinks)} sink nodes, total {total:.6e}, best {haircut['best_s']:.3f} s,"
                 f" sinks in {sinks_file}")

        results[name] = {"load_s": round(load_s, 6), **peer.info, "reach": reach, "haircut": haircut}
        reach_sets[name], sink_maps[name] = reached, sinks
        peer.close()
        del peer
        gc.collect()

    document = {"fixture": args.fixture, "hops": args.hops, "seeds": len(seeds), "runs": args.runs,
                "versions": versions, "peers": results,
                "agreement": agreement(results, reach_sets, sink_maps)}
    progress(f"agreement: {json.dumps(document['agreement'])}")
    if args.compare or args.compare_reach:
        document["comparison"] = compare(args, results, reach_sets, sink_maps)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    progress(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
