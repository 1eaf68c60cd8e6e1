#!/usr/bin/env python3
"""Opens GeoPackage layers in QGIS (pyqgis, offscreen) as a planner would,
and prints, as JSON, what QGIS made of each layer's default style: the
renderer type, its attribute, and its classes or categories with colours.
Used by assetmap's tests (tests/qgis.rs).

    QT_QPA_PLATFORM=offscreen qgis_styles.py FILE.gpkg LAYER [LAYER ...]
    QT_QPA_PLATFORM=offscreen qgis_styles.py FILE.csv      (the delimited-text provider)
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsSymbolLayer, QgsVectorLayer  # noqa: E402


def describe(path, name):
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    if not layer.isValid():
        return {"valid": False}
    r = layer.renderer()
    out = {"valid": True, "features": layer.featureCount(), "renderer": r.type()}
    if r.type() == "graduatedSymbol":
        out["attribute"] = r.classAttribute()
        # Keep the list (and its symbols) alive while reading them.
        ranges = r.ranges()
        out["ranges"] = []
        defined = []
        for g in ranges:
            symbol = g.symbol()
            out["ranges"].append(
                {"lower": g.lowerValue(), "upper": g.upperValue(), "colour": symbol.color().name()}
            )
            sl = symbol.symbolLayer(0)
            props = sl.dataDefinedProperties()
            defined.append(props.isActive(QgsSymbolLayer.PropertyStrokeWidth))
        out["outline_data_defined"] = bool(defined) and all(defined)
    elif r.type() == "categorizedSymbol":
        out["attribute"] = r.classAttribute()
        categories = r.categories()
        out["categories"] = {}
        for c in categories:
            symbol = c.symbol()
            out["categories"][c.value()] = symbol.color().name()
    return out


def delimited_text(path):
    """A CSV through QGIS's delimited-text provider, as Add Layer does."""
    uri = f"file://{path}?type=csv&geomType=none&detectTypes=yes"
    layer = QgsVectorLayer(uri, "csv", "delimitedtext")
    fields = layer.fields()
    return {
        "valid": layer.isValid(),
        "features": layer.featureCount(),
        "fields": [fields.at(i).name() for i in range(fields.count())],
    }


def main():
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    path, names = sys.argv[1], sys.argv[2:]
    if path.endswith(".csv"):
        print(json.dumps({"csv": delimited_text(path)}), flush=True)
        os._exit(0)
    print(json.dumps({n: describe(path, n) for n in names}), flush=True)
    # Tearing QGIS down from Python can crash after the work is done; the
    # answer is out, so leave without it.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
