"""How the map's shapes are made (scripts/build_map.py): TopoJSON decoding, the Equal Earth projection, the
cut at the map's edge, simplification and SVG paths, and a whole build on a tiny world-atlas-like package.
The shipped shapes file is checked too."""

import importlib.util
import json
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_map", ROOT / "scripts" / "build_map.py")
build_map = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_map)

#: a tiny topology: quantised, delta-encoded arcs (scale 0.5 × 0.25, translated to 10°E 20°N)
TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
    "arcs": [
        [[0, 0], [2, 0], [0, 4]],  # (10,20) → (11,20) → (11,21)
        [[2, 4], [-2, 0], [0, -4]],  # (11,21) → (10,21) → (10,20)
        [[4, 0], [0, 4]],  # (12,20) → (12,21)
    ],
    "objects": {},
}


def test_arcs_are_decoded_from_deltas_and_quantisation():
    arcs = build_map.decode_arcs(TOPOLOGY)
    assert arcs[0] == [(10.0, 20.0), (11.0, 20.0), (11.0, 21.0)]
    assert arcs[1] == [(11.0, 21.0), (10.0, 21.0), (10.0, 20.0)]
    assert arcs[2] == [(12.0, 20.0), (12.0, 21.0)]


def test_an_untransformed_topology_keeps_its_coordinates():
    assert build_map.decode_arcs({"arcs": [[[1, 2], [3, 4]]]}) == [[(1.0, 2.0), (3.0, 4.0)]]


def test_a_ring_is_stitched_from_arcs_without_repeating_the_shared_points():
    arcs = build_map.decode_arcs(TOPOLOGY)
    assert build_map.ring(arcs, [0, 1]) == [(10, 20), (11, 20), (11, 21), (10, 21), (10, 20)]
    # ~i is arc i backwards: the same square the other way round
    assert build_map.ring(arcs, [~1, ~0]) == [(10, 20), (10, 21), (11, 21), (11, 20), (10, 20)]


def test_polygons_of_every_geometry_type():
    arcs = build_map.decode_arcs(TOPOLOGY)
    square = [(10, 20), (11, 20), (11, 21), (10, 21), (10, 20)]
    assert build_map.polygons({"type": "Polygon", "arcs": [[0, 1]]}, arcs) == [[square]]
    assert build_map.polygons({"type": "MultiPolygon", "arcs": [[[0, 1]], [[0, 1]]]}, arcs) == [[square], [square]]
    collection = {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[0, 1]]}, {"type": None}]}
    assert build_map.polygons(collection, arcs) == [[square]]
    assert build_map.polygons({"type": None}, arcs) == []


def test_equal_earth_extent_and_symmetry():
    # the published extent of Equal Earth on the unit sphere: ±2.7066 wide, ±1.3173 high
    x, y = build_map.equal_earth(180, 0)
    assert x == pytest.approx(2.7066, abs=1e-4) and y == 0
    assert build_map.equal_earth(0, 90)[1] == pytest.approx(1.3173, abs=1e-4)
    assert build_map.equal_earth(0, 0) == (0.0, 0.0)
    a, b = build_map.equal_earth(40, 30), build_map.equal_earth(-40, -30)
    assert a[0] == pytest.approx(-b[0]) and a[1] == pytest.approx(-b[1])


def _cell_area(lon0, lat0, size, steps=40):
    """Projected area of a longitude/latitude cell, its edges sampled finely."""
    edge = [(lon0 + size * i / steps, lat0) for i in range(steps)]
    edge += [(lon0 + size, lat0 + size * i / steps) for i in range(steps)]
    edge += [(lon0 + size - size * i / steps, lat0 + size) for i in range(steps)]
    edge += [(lon0, lat0 + size - size * i / steps) for i in range(steps)]
    return abs(build_map.area([build_map.equal_earth(lon, lat) for lon, lat in edge]))


def test_equal_earth_keeps_areas():
    # on a sphere a cell's area is proportional to the difference of the sines of its latitudes
    for lat in (30, 60, 75):
        sphere = (math.sin(math.radians(lat + 10)) - math.sin(math.radians(lat))) / math.sin(math.radians(10))
        assert _cell_area(20, lat, 10) / _cell_area(20, 0, 10) == pytest.approx(sphere, rel=1e-3)


def test_a_ring_across_the_antimeridian_is_one_piece_in_the_pacific():
    # Natural Earth's rings step from 180 to -180 where they cross it (Fiji); the map is centred on 150°E
    fiji = [(179.0, -16.0), (180.0, -16.0), (-180.0, -16.0), (-179.8, -16.5), (-180.0, -16.6), (179.0, -16.8)]
    relative = build_map.relative_longitudes(fiji)
    assert [round(lon, 6) for lon, _ in relative] == [29.0, 30.0, 30.0, 30.2, 30.0, 29.0]
    assert build_map.split_at_edge(relative) == [(relative, 0)]


def test_a_ring_across_the_maps_edge_is_cut_in_two_and_keeps_its_area():
    # a box from 40°W to 20°W straddles the edge at 30°W (150°E's antipode)
    box = [(-40.0, 60.0), (-20.0, 60.0), (-20.0, 70.0), (-40.0, 70.0)]
    relative = build_map.relative_longitudes(box)
    pieces = build_map.split_at_edge(relative)
    assert len(pieces) == 2
    for piece, _ in pieces:
        assert all(-180 <= lon <= 180 for lon, _ in piece)
    assert sorted(shift for _, shift in pieces) == [-360, 0]
    assert sum(abs(build_map.area(p)) for p, _ in pieces) == pytest.approx(abs(build_map.area(box)))
    west = next(p for p, shift in pieces if shift == 0)
    assert max(lon for lon, _ in west) == pytest.approx(180)  # 40°W–30°W lies at the map's east edge


def test_simplify_drops_points_on_a_straight_edge_and_keeps_corners():
    # a closed ring, as TopoJSON's are: the last point repeats the first
    square = [(0, 0), (5, 0), (10, 0), (10, 5), (10, 10), (5, 10.1), (0, 10), (0, 5), (0, 0)]
    assert build_map.simplify(square, 0.5) == [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    # (5, 10.1) is 0.1 off the line: kept at a finer tolerance; the points on straight edges still go
    assert build_map.simplify(square, 0.05) == [(0, 0), (10, 0), (10, 10), (5, 10.1), (0, 10), (0, 0)]


def _parse_path(d: str) -> list[list[tuple[int, int]]]:
    rings = []
    for x, y, steps in re.findall(r"M(-?\d+) (-?\d+)l([-\d ]*)z", d):
        point = (int(x), int(y))
        ring = [point]
        numbers = [int(n) for n in re.findall(r"-?\d+", steps)]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            point = (point[0] + dx, point[1] + dy)
            ring.append(point)
        rings.append(ring)
    return rings


def test_a_path_is_absolute_moves_and_relative_lines_that_read_back_to_the_points():
    rings = [[(10, 10), (20, 10), (20, 25), (5, 30)], [(100, 100), (90, 100), (95, 90)]]
    d = build_map.path(rings)
    assert d.count("M") == 2 and d.count("z") == 2
    assert _parse_path(d) == rings


def test_centroid_of_a_ring():
    assert build_map.centroid([(0, 0), (4, 0), (4, 2), (0, 2)]) == pytest.approx((2, 1))


def _write_package(folder: Path) -> Path:
    """A world-atlas-like package: a large country, a tiny one and Antarctica at 1:110m; one more, absent
    there, at 1:50m."""

    def topology(geometries, arcs):
        return {
            "type": "Topology",
            "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
            "arcs": arcs,
        }

    big = [[100.0, -10.0], [130.0, -10.0], [130.0, 10.0], [100.0, 10.0], [100.0, -10.0]]
    tiny = [[160.0, -9.0], [160.2, -9.0], [160.2, -8.8], [160.0, -8.8], [160.0, -9.0]]
    pole = [[-180.0, -85.0], [180.0, -85.0], [180.0, -70.0], [-180.0, -70.0], [-180.0, -85.0]]
    island = [[166.9, -0.55], [166.95, -0.55], [166.95, -0.5], [166.9, -0.5], [166.9, -0.55]]
    coarse = topology(
        [
            {"type": "Polygon", "arcs": [[0]], "id": "001"},
            {"type": "Polygon", "arcs": [[1]], "id": "002"},
            {"type": "Polygon", "arcs": [[2]], "id": "010"},
            {"type": "Polygon", "arcs": [[0]]},  # no id: land without a code
        ],
        [big, tiny, pole],
    )
    fine = topology(
        [
            {"type": "Polygon", "arcs": [[0]], "id": "001"},
            {"type": "MultiPolygon", "arcs": [[[1]], [[2]]], "id": "003"},
        ],
        [big, island, [[p[0] + 1, p[1]] for p in island]],
    )
    (folder / "countries-110m.json").write_text(json.dumps(coarse))
    (folder / "countries-50m.json").write_text(json.dumps(fine))
    (folder / "package.json").write_text(json.dumps({"name": "world-atlas", "version": "0.0.0"}))
    (folder / "LICENSE").write_text("ISC")
    return folder


def test_a_build_gives_shapes_by_alpha3_and_points_for_small_and_missing_countries(tmp_path):
    package = _write_package(tmp_path)
    data = build_map.build(package, {"001": "BIG", "002": "SML", "003": "ISL", "010": "ATA"})
    assert set(data["shapes"]) == {"BIG", "SML"}  # Antarctica is left out
    assert len(data["unnamed"]) == 1
    assert set(data["points"]) == {"SML", "ISL"}  # BIG is large enough to see
    projector = build_map.Projector(data["width"])
    # a point lies where its country is: the tiny country's point is its centre, projected
    expected = projector(*build_map.relative_longitudes([(160.1, -8.9)])[0])
    assert data["points"]["SML"] == pytest.approx(expected, abs=0.2)
    # the point of a country in several polygons is in the largest (here the equal ones: the first)
    assert data["points"]["ISL"] == pytest.approx(
        projector(*build_map.relative_longitudes([(166.925, -0.525)])[0]), abs=0.2
    )
    (ring,) = _parse_path(data["shapes"]["BIG"])
    corners = [projector(lon - build_map.CENTRAL_MERIDIAN, lat) for lon, lat in [(100, -10), (130, 10)]]
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    assert min(xs) == round(corners[0][0]) and max(xs) == round(corners[1][0])
    assert max(ys) == round(corners[0][1]) and min(ys) == round(corners[1][1])


def test_the_build_script_writes_the_file_and_the_licence(tmp_path, monkeypatch):
    (tmp_path / "package").mkdir()
    package = _write_package(tmp_path / "package")
    out = tmp_path / "out"
    # the ISO table comes from pycountry at build time; the fixture's codes are made up
    monkeypatch.setattr(build_map, "alpha3_by_numeric", lambda: {"001": "BIG", "002": "SML", "003": "ISL"})
    assert build_map.main(["--package", str(package), "--out", str(out)]) == 0
    data = json.loads((out / "countries.json").read_text(encoding="utf-8"))
    assert data["source"].startswith("world-atlas 0.0.0")
    assert (out / "LICENSE").read_text() == "ISC"
    assert "Natural Earth" in (out / "README.md").read_text()


def test_the_shipped_shapes_are_small_and_in_whole_pixels():
    path = ROOT / "server" / "static" / "map" / "countries.json"
    assert path.stat().st_size < 150_000
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "world-atlas" in data["source"]
    assert (path.parent / "LICENSE").read_text(encoding="utf-8").startswith("Copyright")
    for code, d in data["shapes"].items():
        assert re.fullmatch(r"[A-Z]{3}", code)
        assert re.fullmatch(r"(M-?\d+ -?\d+(l[-\d ]*)?z)+", d), code
    for x, y in data["points"].values():
        assert 0 <= x <= data["width"] and 0 <= y <= data["height"]
