"""Benchmark of the accessibility engine against pandana and networkx.

Generates synthetic street-like cities (jittered irregular blocks, removed links and dead
ends, cul-de-sac stubs, long arterials crossing the grid and needing noding) at several
multiples of Karlsruhe's size (1×: about 16 × 16 km, ≥ 60,000 network nodes, 20,000
origins, 2,000 services in 8 categories) and prints per scale a table with

* ours: graph build (noding + CSR + components), snapping the origins, nearest-service
  distances for all categories, one E2SFCA, peak RSS;
* pandana (network + contraction hierarchy, POI mapping, nearest_pois per category) and
  networkx (graph build + multi-source Dijkstra per category), each in a subprocess with a
  time budget, on the same graph and points; with the time ratio to ours and the maximum
  difference of the distances.

pandana works node to node (points are mapped to their nearest graph node), so the peers
are compared like for like: origins and services are moved onto their nearest node (same
node ids for everybody) and our engine is run on those node positions too (access leg 0),
which is the "like-for-like" column. The end-to-end comparison uses ours as it is used in
production (snapping to edges, lines noded from scratch) against pandana's node-based run.

Run ``python benchmarks/accessibility.py --help``; quick run: ``--scales 1 --budget 60``.
Each scale and each peer runs in its own subprocess so that peak memory is per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CRS = "EPSG:25832"
CATEGORY_SHARES = np.array([0.35, 0.2, 0.12, 0.1, 0.08, 0.07, 0.05, 0.03])
CATEGORIES = [f"cat{k}" for k in range(len(CATEGORY_SHARES))]
CUTOFF_M = 2000.0
MAX_SNAP_M = 300.0


# ------------------------------------------------------------------------------ city


def synthetic_city(scale: float, seed: int = 0) -> dict[str, np.ndarray]:
    """Street lines, origins and services of a street-like city ``scale`` × Karlsruhe.

    Returns flat arrays: ``line_xy`` (all vertices), ``line_index`` (line id per vertex),
    ``origins`` (n, 2), ``services`` (m, 2), ``category`` (m,) codes.
    """
    rng = np.random.default_rng(seed)
    n = round(180 * np.sqrt(scale))  # intersections per side, ~90 m apart
    spacing = 90.0
    x0, y0 = 450_000.0, 5_420_000.0
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    # irregular blocks: varying street spacing per row/column plus jitter
    col = np.cumsum(rng.uniform(0.6, 1.4, n)) * spacing
    row = np.cumsum(rng.uniform(0.6, 1.4, n)) * spacing
    xy = np.stack([col[ii], row[jj]], axis=-1) + rng.uniform(-20, 20, (n, n, 2))
    xy += [x0, y0]
    starts, mids, ends = [], [], []
    for di, dj in ((1, 0), (0, 1)):
        a = xy[: n - di, : n - dj].reshape(-1, 2)
        b = xy[di:, dj:].reshape(-1, 2)
        keep = rng.random(a.shape[0]) < 0.82  # removed links: merged blocks, dead ends
        a, b = a[keep], b[keep]
        normal = (b - a)[:, ::-1] * [1, -1]
        bend = rng.normal(0, 0.06, (a.shape[0], 1)) * normal  # gently curved streets
        starts.append(a)
        mids.append((a + b) / 2 + bend)
        ends.append(b)
    a, m, b = (np.concatenate(v) for v in (starts, mids, ends))
    streets = np.stack([a, m, b], axis=1)  # (k, 3, 2)
    # cul-de-sac stubs from random intersections
    k_stub = int(0.08 * n * n)
    base = xy.reshape(-1, 2)[rng.integers(0, n * n, k_stub)]
    angle = rng.uniform(0, 2 * np.pi, k_stub)
    length = rng.uniform(30, 70, k_stub)
    tip = base + np.column_stack([np.cos(angle), np.sin(angle)]) * length[:, None]
    stubs = np.stack([base, (base + tip) / 2, tip], axis=1)
    # arterials: long straight roads across the city at random angles, vertex every ~250 m
    extent = np.array([col[-1], row[-1]])
    k_art = max(4, n // 12)
    p = np.array([x0, y0]) + rng.uniform([0, 0], extent, (k_art, 2))
    theta = rng.uniform(0, np.pi, k_art)
    span = extent.max() * 0.7
    t = np.linspace(-span, span, int(2 * span / 250) + 1)
    art = p[:, None, :] + t[None, :, None] * np.stack([np.cos(theta), np.sin(theta)], -1)[:, None]
    line_xy = np.concatenate([streets.reshape(-1, 2), stubs.reshape(-1, 2), art.reshape(-1, 2)])
    line_index = np.concatenate(
        [
            np.repeat(np.arange(streets.shape[0]), 3),
            streets.shape[0] + np.repeat(np.arange(k_stub), 3),
            streets.shape[0] + k_stub + np.repeat(np.arange(k_art), art.shape[1]),
        ]
    )
    n_origins = int(20_000 * scale)
    n_services = int(2_000 * scale)
    lo, hi = np.array([x0, y0]), np.array([x0, y0]) + extent
    origins = rng.uniform(lo, hi, (n_origins, 2))
    services = rng.uniform(lo, hi, (n_services, 2))
    category = rng.choice(len(CATEGORY_SHARES), n_services, p=CATEGORY_SHARES)
    return {
        "line_xy": line_xy,
        "line_index": line_index,
        "origins": origins,
        "services": services,
        "category": category,
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ------------------------------------------------------------------------------ workers


def worker_ours(data: Path, out: Path) -> dict:
    import geopandas as gpd
    import shapely

    from sqe_geo.access.accessibility import nearest_distances
    from sqe_geo.access.catchment import enhanced_two_step_fca
    from sqe_geo.access.network import build_network
    from sqe_geo.access.snapping import snap_points
    from sqe_geo.access.walking import Origins, Walking

    d = dict(np.load(data))
    lines = gpd.GeoDataFrame(
        geometry=shapely.linestrings(d["line_xy"], indices=d["line_index"]), crs=CRS
    )
    services = gpd.GeoDataFrame(
        {"category": np.array(CATEGORIES)[d["category"]]},
        geometry=gpd.points_from_xy(d["services"][:, 0], d["services"][:, 1]),
        crs=CRS,
    )
    t0 = time.perf_counter()
    net = build_network(lines)
    t1 = time.perf_counter()
    snap = snap_points(net, d["origins"], max_snap_m=MAX_SNAP_M)
    t2 = time.perf_counter()
    dist = nearest_distances(
        net, Origins(d["origins"], snap=snap), services, CATEGORIES, walking=Walking(CUTOFF_M)
    )
    t3 = time.perf_counter()
    capacity = services["category"] == CATEGORIES[-1]
    s_xy = d["services"][capacity.to_numpy()]
    e2 = enhanced_two_step_fca(
        d["origins"],
        np.ones(len(d["origins"])),
        s_xy,
        np.full(len(s_xy), 50.0),
        network=net,
        origin_snap=snap,
    )
    t4 = time.perf_counter()

    # like for like with node-based peers: points moved onto their nearest node
    from scipy.spatial import cKDTree

    tree = cKDTree(net.node_xy)
    o_node = tree.query(d["origins"])[1]
    s_node = tree.query(d["services"])[1]
    services_on_nodes = services.set_geometry(
        gpd.points_from_xy(net.node_xy[s_node, 0], net.node_xy[s_node, 1]), crs=CRS
    )
    t5 = time.perf_counter()
    node_dist = nearest_distances(
        net, net.node_xy[o_node], services_on_nodes, CATEGORIES, walking=Walking(CUTOFF_M)
    )
    t6 = time.perf_counter()
    np.savez(
        out.with_suffix(".graph.npz"),
        node_xy=net.node_xy,
        edge_u=net.edge_u,
        edge_v=net.edge_v,
        edge_length=net.edge_length,
        o_node=o_node,
        s_node=s_node,
        category=d["category"],
    )
    np.save(out.with_suffix(".lfl.npy"), node_dist.to_numpy())
    return {
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "origins": len(d["origins"]),
        "services": len(services),
        "snapped": int(snap.snapped.sum()),
        "reached_share": float(dist.notna().to_numpy().mean()),
        "build_s": t1 - t0,
        "snap_s": t2 - t1,
        "access_s": t3 - t2,
        "e2sfca_s": t4 - t3,
        "e2sfca_services": len(s_xy),
        "e2sfca_reached": float(np.isfinite(e2).mean()),
        "lfl_access_s": t6 - t5,
        "end_to_end_s": t3 - t0,
        "peak_mb": peak_mb(),
    }


def worker_pandana(graph: Path, out: Path) -> dict:
    import pandana
    import pandas as pd

    g = dict(np.load(graph))
    node_xy, o_node, s_node, cat = g["node_xy"], g["o_node"], g["s_node"], g["category"]
    t0 = time.perf_counter()
    nodes = pd.DataFrame({"x": node_xy[:, 0], "y": node_xy[:, 1]})
    net = pandana.Network(
        nodes["x"],
        nodes["y"],
        pd.Series(g["edge_u"]),
        pd.Series(g["edge_v"]),
        pd.DataFrame({"length": g["edge_length"]}),
        twoway=True,
    )
    t1 = time.perf_counter()
    origin_ids = net.get_node_ids(
        pd.Series(node_xy[o_node, 0]), pd.Series(node_xy[o_node, 1])
    ).to_numpy()
    result = np.full((o_node.size, len(CATEGORIES)), np.nan)
    for k, name in enumerate(CATEGORIES):
        sel = s_node[cat == k]
        net.set_pois(name, CUTOFF_M, 1, pd.Series(node_xy[sel, 0]), pd.Series(node_xy[sel, 1]))
        near = net.nearest_pois(CUTOFF_M, name, num_pois=1)  # fills CUTOFF_M
        result[:, k] = near[1].reindex(origin_ids).to_numpy()
    t2 = time.perf_counter()
    result[~np.isfinite(result) | (result >= CUTOFF_M)] = np.nan
    np.save(out, result)
    return {
        "build_s": t1 - t0,
        "query_s": t2 - t1,
        "total_s": t2 - t0,
        "same_nodes": bool((origin_ids == o_node).mean() > 0.999),
        "peak_mb": peak_mb(),
    }


def worker_networkx(graph: Path, out: Path) -> dict:
    import networkx as nx

    g = dict(np.load(graph))
    o_node, s_node, cat = g["o_node"], g["s_node"], g["category"]
    t0 = time.perf_counter()
    graph_nx = nx.Graph()
    graph_nx.add_weighted_edges_from(
        zip(g["edge_u"].tolist(), g["edge_v"].tolist(), g["edge_length"].tolist(), strict=True)
    )
    t1 = time.perf_counter()
    result = np.full((o_node.size, len(CATEGORIES)), np.nan)
    for k in range(len(CATEGORIES)):
        sources = set(s_node[cat == k].tolist())
        dist = nx.multi_source_dijkstra_path_length(graph_nx, sources, cutoff=CUTOFF_M)
        lookup = np.full(g["node_xy"].shape[0], np.nan)
        lookup[np.fromiter(dist.keys(), dtype=np.int64)] = np.fromiter(dist.values(), float)
        result[:, k] = lookup[o_node]
    t2 = time.perf_counter()
    np.save(out, result)
    return {"build_s": t1 - t0, "query_s": t2 - t1, "total_s": t2 - t0, "peak_mb": peak_mb()}


WORKERS = {"ours": worker_ours, "pandana": worker_pandana, "networkx": worker_networkx}


def run_worker(kind: str, data: Path, out: Path, budget: float | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--data", str(data), "--out", str(out)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=budget, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish in {budget:.0f} s"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return {"status": f"failed: {tail[0][:80]}"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["status"] = "ok"
    return result


# ------------------------------------------------------------------------------ main


def max_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Max absolute difference where both are finite, and the count of NaN mismatches."""
    both = np.isfinite(a) & np.isfinite(b)
    diff = float(np.abs(a[both] - b[both]).max()) if both.any() else 0.0
    return diff, int((np.isfinite(a) != np.isfinite(b)).sum())


def fmt(x: float) -> str:
    return f"{x:8.2f}"


def bench_scale(scale: float, peers: list[str], budget: float, tmp: Path, seed: int) -> str:
    t = time.perf_counter()
    city = synthetic_city(scale, seed)
    data = tmp / f"city_{scale:g}.npz"
    np.savez(data, **city)
    gen_s = time.perf_counter() - t
    ours_out = tmp / f"ours_{scale:g}"
    ours = run_worker("ours", data, ours_out, None)
    if ours["status"] != "ok":
        return f"scale {scale:g}×: ours {ours['status']}"
    graph = ours_out.with_suffix(".graph.npz")
    lfl = np.load(ours_out.with_suffix(".lfl.npy"))
    lines = [
        f"### Scale {scale:g}× Karlsruhe — {ours['nodes']:,} nodes, {ours['edges']:,} edges, "
        f"{ours['origins']:,} origins ({ours['snapped']:,} on the network), "
        f"{ours['services']:,} services in {len(CATEGORIES)} categories "
        f"(city generated in {gen_s:.1f} s)",
        "",
        "| engine | build s | snap s | all categories s | total s | peak RSS MB "
        "| ours faster by | max diff m | NaN mismatches |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| sqe-geo (edge snapping, noding) | {fmt(ours['build_s'])} | {fmt(ours['snap_s'])} "
        f"| {fmt(ours['access_s'])} | {fmt(ours['end_to_end_s'])} | {ours['peak_mb']:8.0f} "
        "| – | – | – |",
        f"| sqe-geo like-for-like (points on nodes) | (same graph) | – "
        f"| {fmt(ours['lfl_access_s'])} | – | – | – | reference | reference |",
    ]
    for peer in peers:
        res = run_worker(peer, graph, tmp / f"{peer}_{scale:g}.npy", budget)
        if res["status"] != "ok":
            lines.append(f"| {peer} | {res['status']} | | | | | | | |")
            continue
        theirs = np.load(tmp / f"{peer}_{scale:g}.npy")
        diff, mismatch = max_diff(lfl, theirs)
        ratio = res["total_s"] / ours["end_to_end_s"]
        query_ratio = res["query_s"] / ours["lfl_access_s"]
        lines.append(
            f"| {peer} | {fmt(res['build_s'])} | – | {fmt(res['query_s'])} "
            f"| {fmt(res['total_s'])} | {res['peak_mb']:8.0f} "
            f"| {ratio:.1f}× end to end, {query_ratio:.1f}× queries | {diff:.2e} | {mismatch} |"
        )
    lines += [
        "",
        f"E2SFCA ({ours['e2sfca_services']} services of the smallest category, step bands "
        f"500/1000/1500 m): {ours['e2sfca_s']:.2f} s; share of origins with a distance to "
        f"the nearest service within {CUTOFF_M:.0f} m: {ours['reached_share']:.3f}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--peers", nargs="*", default=["pandana", "networkx"], choices=["pandana", "networkx"]
    )
    parser.add_argument(
        "--peer-max-scale",
        type=float,
        default=16,
        help="run the peers only up to this scale (larger scales: ours only)",
    )
    parser.add_argument("--budget", type=float, default=150.0, help="seconds per peer run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.data, args.out)))
        return 0
    print(
        f"# accessibility benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"cut-off {CUTOFF_M:.0f} m, max snap {MAX_SNAP_M:.0f} m, peer budget {args.budget:.0f} s")
    print()
    with tempfile.TemporaryDirectory(prefix="sqe_bench_") as tmp:
        for scale in args.scales:
            peers = args.peers if scale <= args.peer_max_scale else []
            print(bench_scale(scale, peers, args.budget, Path(tmp), args.seed), flush=True)
            if not peers and args.peers:
                print(f"(peers not run at {scale:g}×: above --peer-max-scale)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
