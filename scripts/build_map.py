"""Build the world map's shapes: server/static/map/countries.json, from Natural Earth via the npm package
`world-atlas` (TopoJSON, ISC licence; Natural Earth's data are in the public domain).

    python scripts/build_map.py                      # npm pack world-atlas@VERSION into a temporary folder
    python scripts/build_map.py --package DIR        # an unpacked world-atlas package already on disk

Build time only (the app reads the generated file, which is committed): needs `npm` and PyPI `pycountry`
(`pip install -e '.[map]'`),
whose ISO 3166-1 table maps world-atlas's numeric ids to alpha-3 codes.

What it does: decodes the TopoJSON arcs (delta-encoded, quantised), projects every ring with the Equal Earth
projection centred on 150°E (the Asia-Pacific in the middle; rings crossing 30°W, the new edge, are cut
there), rounds to whole pixels, simplifies (Douglas–Peucker), and writes one SVG path per ISO 3166-1
alpha-3 code from the 1:110m data. Countries too small to see at that scale, or absent from it (Nauru,
Palau, Hong Kong …), get a point: the centroid of their largest polygon, from the 1:50m data of the same
package.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

WORLD_ATLAS = "world-atlas@2.0.2"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "server" / "static" / "map"

#: the projection's central meridian; the map's edge is its antipode, 30°W
CENTRAL_MERIDIAN = 150.0
#: width of the map in pixels (the SVG scales; coordinates are whole pixels of this width)
WIDTH = 1000
#: Douglas–Peucker tolerance in pixels
TOLERANCE = 0.35
#: a country whose largest polygon covers fewer square pixels than this also gets a point
SMALL_AREA = 30.0
#: left out of the map: Antarctica (no member; it would take a fifth of the height)
OMIT = {"010"}

# Equal Earth (Šavrič, Patterson & Jenny 2018) coefficients
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2
#: half the projected width of the whole world, in projection units (at λ = ±π, φ = 0)
HALF_WIDTH = 2 * math.sqrt(3) / 3 * math.pi / A1


# --- TopoJSON ---------------------------------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as a list of (longitude, latitude): undo the delta encoding and the quantisation."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points = []
        for p in arc:
            x, y = x + p[0], y + p[1]
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """A closed ring stitched from arcs; index ~i is arc i reversed. Each arc after the first starts where the
    previous one ended, so its first point is dropped."""
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def polygons(geometry: dict, arcs: list[list[tuple[float, float]]]) -> list[list[list[tuple[float, float]]]]:
    """A geometry's polygons, each a list of rings (the first the outer ring), in longitude/latitude."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if kind == "MultiPolygon":
        return [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
    if kind == "GeometryCollection":
        return [p for g in geometry["geometries"] for p in polygons(g, arcs)]
    return []


# --- projection -------------------------------------------------------------------------------------------


def equal_earth(longitude: float, latitude: float) -> tuple[float, float]:
    """Equal Earth, in projection units (x east, y north), for a longitude already relative to the centre."""
    lam, phi = math.radians(longitude), math.radians(latitude)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def relative_longitudes(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring with longitudes relative to the central meridian, unwrapped so that it runs on without a jump:
    Natural Earth's rings that cross the antimeridian (Fiji, Chukotka) step from 180 to -180, which is no
    edge at all, and the map's own edge (30°W) can fall inside a ring (Greenland). The result may leave
    [-180, 180]; `split_at_edge` cuts it there."""
    out: list[tuple[float, float]] = []
    for longitude, latitude in points:
        relative = (longitude - CENTRAL_MERIDIAN + 180) % 360 - 180
        if out:
            while relative - out[-1][0] > 180:
                relative -= 360
            while relative - out[-1][0] < -180:
                relative += 360
        out.append((relative, latitude))
    return out


def clip(points: list[tuple[float, float]], keep_below: bool, at: float) -> list[tuple[float, float]]:
    """Sutherland–Hodgman against the meridian `at`: the part of a ring west of it (or east)."""
    inside = (lambda p: p[0] <= at) if keep_below else (lambda p: p[0] >= at)
    out: list[tuple[float, float]] = []
    for i, current in enumerate(points):
        previous = points[i - 1]
        if inside(current):
            if not inside(previous):
                out.append(_crossing(previous, current, at))
            out.append(current)
        elif inside(previous):
            out.append(_crossing(previous, current, at))
    return out


def _crossing(a: tuple[float, float], b: tuple[float, float], at: float) -> tuple[float, float]:
    t = (at - a[0]) / (b[0] - a[0])
    return at, a[1] + t * (b[1] - a[1])


def split_at_edge(points: list[tuple[float, float]]) -> list[tuple[list[tuple[float, float]], int]]:
    """A ring (relative, unwrapped longitudes) as pieces inside [-180, 180], each with the shift (0, 360 or
    -360) that brought it there; a ring that stays inside is one piece."""
    pieces = [(points, 0)]
    for edge in (180.0, -180.0):
        next_pieces = []
        for piece, shift in pieces:
            if any(p[0] > 180 for p in piece) if edge > 0 else any(p[0] < -180 for p in piece):
                inner, outer = clip(piece, edge > 0, edge), clip(piece, edge < 0, edge)
                step = -360 if edge > 0 else 360
                next_pieces += [(inner, shift), ([(x + step, y) for x, y in outer], shift + step)]
            else:
                next_pieces.append((piece, shift))
        pieces = next_pieces
    return [(piece, shift) for piece, shift in pieces if len(piece) >= 3]


class Projector:
    """Relative longitude/latitude to map coordinates in pixels, y down, the world `width` pixels wide."""

    def __init__(self, width: int = WIDTH):
        self.scale = width / (2 * HALF_WIDTH)
        self.width = width
        self.top = equal_earth(0, 90)[1]

    def __call__(self, relative_longitude: float, latitude: float) -> tuple[float, float]:
        x, y = equal_earth(relative_longitude, latitude)
        return (x + HALF_WIDTH) * self.scale, (self.top - y) * self.scale


# --- simplification and paths -----------------------------------------------------------------------------


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker on a closed ring whose last point repeats the first (iterative; both are kept)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    # split a closed ring at its farthest point from the start, so both halves are open chains
    far = max(range(len(points)), key=lambda i: _d2(points[0], points[i]))
    keep[far] = True
    stack = [(0, far), (far, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, best_index = -1.0, -1
        for i in range(first + 1, last):
            d = _segment_distance(points[i], points[first], points[last])
            if d > best:
                best, best_index = d, i
        if best > tolerance:
            keep[best_index] = True
            stack += [(first, best_index), (best_index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _d2(a, b) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def _segment_distance(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.sqrt(_d2(p, a))
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.sqrt(_d2(p, (a[0] + t * dx, a[1] + t * dy)))


def area(points: list[tuple[float, float]]) -> float:
    """Signed area (shoelace)."""
    return sum(points[i - 1][0] * p[1] - p[0] * points[i - 1][1] for i, p in enumerate(points)) / 2


def centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Area centroid of a ring (its mean point when it has no area)."""
    a = area(points)
    if abs(a) < 1e-9:
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    cx = cy = 0.0
    for i, p in enumerate(points):
        q = points[i - 1]
        cross = q[0] * p[1] - p[0] * q[1]
        cx += (q[0] + p[0]) * cross
        cy += (q[1] + p[1]) * cross
    return cx / (6 * a), cy / (6 * a)


def path(rings: list[list[tuple[int, int]]]) -> str:
    """An SVG path: each ring an absolute move, then relative lines, closed."""
    parts = []
    for r in rings:
        (x0, y0), rest = r[0], r[1:]
        text = [f"M{x0} {y0}"]
        if rest:
            steps, (px, py) = [], (x0, y0)
            for x, y in rest:
                steps.append(f"{x - px} {y - py}")
                px, py = x, y
            text.append("l" + " ".join(steps).replace(" -", "-"))
        parts.append("".join(text) + "z")
    return "".join(parts)


def projected_polygons(geometry: dict, arcs, project: Projector) -> list[list[list[tuple[float, float]]]]:
    """A geometry's polygons in map pixels (unrounded), cut at the map's edge."""
    result = []
    for polygon in polygons(geometry, arcs):
        pieces: dict[int, list] = {}
        for index, r in enumerate(polygon):
            for piece, shift in split_at_edge(relative_longitudes(r)):
                projected = [project(lon, lat) for lon, lat in piece]
                if index == 0:
                    pieces.setdefault(shift, []).insert(0, projected)
                elif shift in pieces:
                    pieces[shift].append(projected)
        result.extend(pieces.values())
    return result


def shape(polygons_px: list[list[list[tuple[float, float]]]], tolerance: float = TOLERANCE) -> str:
    """The SVG path of projected polygons: simplified, whole pixels, rings of no visible area dropped."""
    rings = []
    for polygon in polygons_px:
        for r in polygon:
            simplified = simplify(r, tolerance)
            rounded = [(round(x), round(y)) for x, y in simplified]
            deduplicated = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
            if len(deduplicated) > 1 and deduplicated[0] == deduplicated[-1]:
                deduplicated.pop()
            if len(deduplicated) >= 3 and abs(area(deduplicated)) >= 1:
                rings.append(deduplicated)
    return path(rings)


def point(polygons_px: list[list[list[tuple[float, float]]]]) -> tuple[float, float]:
    """The centroid of the largest polygon's outer ring, in map pixels, to one decimal."""
    largest = max((p[0] for p in polygons_px), key=lambda r: abs(area(r)))
    x, y = centroid(largest)
    return round(x, 1), round(y, 1)


# --- the build ---------------------------------------------------------------------------------------------


def alpha3_by_numeric() -> dict[str, str]:
    import pycountry  # build time only

    return {c.numeric: c.alpha_3 for c in pycountry.countries}


def build(package: Path, numeric_to_alpha3: dict[str, str], width: int = WIDTH) -> dict:
    project = Projector(width)
    shapes: dict[str, str] = {}
    unnamed: list[str] = []
    points: dict[str, list[float]] = {}
    largest: dict[str, float] = {}
    bottom = 0.0
    coarse = json.loads((package / "countries-110m.json").read_text(encoding="utf-8"))
    arcs = decode_arcs(coarse)
    grouped: dict[str | None, list] = {}
    for geometry in coarse["objects"]["countries"]["geometries"]:
        if geometry.get("id") in OMIT:
            continue
        code = numeric_to_alpha3.get(geometry.get("id") or "")
        projected = projected_polygons(geometry, arcs, project)
        if code is None:  # a territory without an ISO code (Kosovo, Somaliland, N. Cyprus): land, no link
            unnamed.append(shape(projected))
        else:
            grouped.setdefault(code, []).extend(projected)
        bottom = max([bottom] + [y for polygon in projected for r in polygon for _, y in r])
    for code, projected in sorted(grouped.items()):
        shapes[code] = shape(projected)
        largest[code] = max(abs(area(p[0])) for p in projected)
        if largest[code] < SMALL_AREA:
            points[code] = list(point(projected))
    fine = json.loads((package / "countries-50m.json").read_text(encoding="utf-8"))
    fine_arcs = decode_arcs(fine)
    fine_grouped: dict[str, list] = {}
    for geometry in fine["objects"]["countries"]["geometries"]:
        code = numeric_to_alpha3.get(geometry.get("id") or "")
        if code and code not in shapes and geometry.get("id") not in OMIT:
            fine_grouped.setdefault(code, []).extend(projected_polygons(geometry, fine_arcs, project))
    for code, projected in sorted(fine_grouped.items()):
        if projected:
            points[code] = list(point(projected))
    package_json = json.loads((package / "package.json").read_text(encoding="utf-8"))
    return {
        "source": f"{package_json['name']} {package_json['version']} (Natural Earth): countries-110m.json for "
        "shapes, countries-50m.json for the points of countries absent from it",
        "licence": "world-atlas: ISC (see LICENSE beside this file); Natural Earth data: public domain",
        "projection": f"Equal Earth, central meridian {CENTRAL_MERIDIAN:g}°E, cut at {180 - CENTRAL_MERIDIAN:g}°W; Antarctica left out",
        "width": width,
        "height": math.ceil(bottom) + 2,
        "shapes": shapes,
        "unnamed": unnamed,
        "points": points,
    }


def fetch_package(work: Path) -> Path:
    subprocess.run(["npm", "pack", "--silent", WORLD_ATLAS], cwd=work, check=True, stdout=subprocess.DEVNULL)
    (tarball,) = work.glob("world-atlas-*.tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(work, filter="data")
    return work / "package"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, help="an unpacked world-atlas package (default: npm pack it)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        package = args.package or fetch_package(Path(work))
        data = build(package, alpha3_by_numeric())
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "countries.json").write_text(
            json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8"
        )
        shutil.copyfile(package / "LICENSE", args.out / "LICENSE")
    (args.out / "README.md").write_text(
        "# World map shapes\n\n"
        f"`countries.json` is generated by `scripts/build_map.py` from the npm package `{WORLD_ATLAS}`\n"
        "(TopoJSON of Natural Earth's admin-0 countries, 1:110m and 1:50m). `LICENSE` is that package's ISC\n"
        "licence. Made with Natural Earth: free vector and raster map data, naturalearthdata.com (public domain).\n"
        "Do not edit `countries.json` by hand; run `python scripts/build_map.py`.\n",
        encoding="utf-8",
    )
    size = (args.out / "countries.json").stat().st_size
    print(
        f"wrote {args.out / 'countries.json'} ({size} bytes): {len(data['shapes'])} shapes, {len(data['points'])} points"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
