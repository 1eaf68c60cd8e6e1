//! Map styles embedded in GeoPackages, in the `layer_styles` table QGIS
//! reads (QML for QGIS, SLD for other clients): the same map as the web
//! pages. Wards and small areas are shaded by IMD score in quintiles with the
//! planners' ramp; gap results by the gap with the planners' fixed breaks and
//! a heavy outline on underserved wards; assets by category in the residents'
//! page's colours.

/// The planners' page's ramp, light (better) to dark (worse).
pub const RAMP: [&str; 5] = ["#fbf3da", "#f6cf8f", "#ec9a55", "#cf5a34", "#8f1d21"];
/// The planners' page's fixed class breaks for the gap.
pub const GAP_BREAKS: [f64; 4] = [-0.5, 0.0, 0.25, 0.5];

/// The residents' page's colour for a category (`web/static/symbols.js`).
pub fn category_colour(category: &str) -> &'static str {
    match category {
        "gp" => "#1d6b40",
        "pharmacy" => "#0b5394",
        "food_bank" => "#8a4500",
        "library" => "#5b2a86",
        "advice" => "#a0204a",
        "community_centre" => "#00606b",
        "warm_space" => "#a33600",
        "youth_club" => "#3d4a5c",
        other => {
            const FALLBACK: [&str; 5] = ["#4a4a8a", "#6b4226", "#2f5d50", "#7a2e5c", "#36454f"];
            let mut hash: u32 = 0;
            for c in other.encode_utf16() {
                hash = hash.wrapping_mul(31).wrapping_add(u32::from(c));
            }
            FALLBACK[hash as usize % FALLBACK.len()]
        }
    }
}

/// One style for one layer.
pub struct LayerStyle {
    /// Style name.
    pub name: String,
    /// QGIS style XML.
    pub qml: String,
    /// OGC Styled Layer Descriptor 1.0.
    pub sld: String,
    /// What it shows.
    pub description: String,
}

fn rgba(hex: &str) -> String {
    let v = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    format!("{},{},{},255", v(1), v(3), v(5))
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fill_symbol(name: usize, colour: &str, outline_expression: Option<&str>) -> String {
    let data_defined = outline_expression.map_or(String::new(), |e| {
        format!(
            r#"<data_defined_properties><Option type="Map"><Option type="QString" name="name" value=""/><Option type="Map" name="properties"><Option type="Map" name="outlineWidth"><Option type="bool" name="active" value="true"/><Option type="QString" name="expression" value="{}"/><Option type="int" name="type" value="3"/></Option><Option type="Map" name="outlineColor"><Option type="bool" name="active" value="true"/><Option type="QString" name="expression" value="{}"/><Option type="int" name="type" value="3"/></Option></Option><Option type="QString" name="type" value="collection"/></Option></data_defined_properties>"#,
            xml(e),
            xml("if(\"underserved\", '11,12,12,255', '255,255,255,255')")
        )
    });
    format!(
        r#"<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0"><layer class="SimpleFill" enabled="1" locked="0" pass="0"><prop k="color" v="{}"/><prop k="style" v="solid"/><prop k="outline_color" v="255,255,255,255"/><prop k="outline_style" v="solid"/><prop k="outline_width" v="0.26"/><prop k="outline_width_unit" v="MM"/><prop k="joinstyle" v="round"/>{data_defined}</layer></symbol>"#,
        rgba(colour)
    )
}

fn qml(renderer: &str) -> String {
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.16\" styleCategories=\"Symbology\">{renderer}</qgis>\n"
    )
}

fn sld(layer: &str, rules: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" version="1.0.0"><NamedLayer><Name>{}</Name><UserStyle><Title>assetmap</Title><FeatureTypeStyle>{rules}</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>
"#,
        xml(layer)
    )
}

fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{}", (v * 1e6).round() / 1e6)
    } else if v > 0.0 {
        "1e300".into()
    } else {
        "-1e300".into()
    }
}

/// Shading by `attribute` in classes bounded by `breaks`, darker for higher.
fn graduated(
    layer: &str,
    attribute: &str,
    title: &str,
    breaks: &[f64],
    outline_expression: Option<&str>,
) -> (String, String) {
    let edges: Vec<f64> = std::iter::once(f64::NEG_INFINITY)
        .chain(breaks.iter().copied())
        .chain(std::iter::once(f64::INFINITY))
        .collect();
    let classes = edges.len() - 1;
    let colour = |k: usize| {
        let step = if classes > 1 {
            (k * (RAMP.len() - 1) + (classes - 1) / 2) / (classes - 1)
        } else {
            RAMP.len() - 1
        };
        RAMP[step.min(RAMP.len() - 1)]
    };
    let mut ranges = String::new();
    let mut symbols = String::new();
    let mut rules = String::new();
    for k in 0..classes {
        let (lo, hi) = (edges[k], edges[k + 1]);
        let label = match (lo.is_finite(), hi.is_finite()) {
            (false, true) => format!("below {}", number(hi)),
            (true, false) => format!("{} or more", number(lo)),
            _ => format!("{} to {}", number(lo), number(hi)),
        };
        ranges.push_str(&format!(
            r#"<range lower="{}" upper="{}" symbol="{k}" label="{}" render="true"/>"#,
            number(lo),
            number(hi),
            xml(&label)
        ));
        symbols.push_str(&fill_symbol(k, colour(k), outline_expression));
        rules.push_str(&format!(
            r#"<Rule><Name>{}</Name><Title>{}</Title><ogc:Filter><ogc:And><ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{attribute}</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyIsLessThan><ogc:PropertyName>{attribute}</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsLessThan></ogc:And></ogc:Filter><PolygonSymbolizer><Fill><CssParameter name="fill">{}</CssParameter></Fill><Stroke><CssParameter name="stroke">#ffffff</CssParameter><CssParameter name="stroke-width">0.5</CssParameter></Stroke></PolygonSymbolizer></Rule>"#,
            xml(&label),
            xml(&format!("{title}: {label}")),
            number(lo),
            number(hi),
            colour(k)
        ));
    }
    if outline_expression.is_some() {
        rules.push_str(r#"<Rule><Name>underserved</Name><Title>Underserved (outlined)</Title><ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>underserved</ogc:PropertyName><ogc:Literal>1</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter><PolygonSymbolizer><Stroke><CssParameter name="stroke">#0b0c0c</CssParameter><CssParameter name="stroke-width">2.5</CssParameter></Stroke></PolygonSymbolizer></Rule>"#);
    }
    let renderer = format!(
        r#"<renderer-v2 type="graduatedSymbol" attr="{}" graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0"><ranges>{ranges}</ranges><symbols>{symbols}</symbols><mode name="manual"/></renderer-v2>"#,
        xml(attribute)
    );
    (qml(&renderer), sld(layer, &rules))
}

/// Quintile breaks of the values (the planners' classes for IMD).
pub fn quintiles(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = (1..5)
        .map(|k| v[((k * v.len()) / 5).min(v.len() - 1)])
        .collect();
    out.dedup();
    out
}

/// Areas shaded by IMD score in quintiles of `scores`.
pub fn imd_style(layer: &str, scores: &[f64]) -> LayerStyle {
    let breaks = quintiles(scores);
    let (qml, sld) = graduated(layer, "imd_score", "IMD score", &breaks, None);
    LayerStyle {
        name: "assetmap: IMD score".into(),
        qml,
        sld,
        description: "IMD score (population-weighted), quintiles of the areas in the file, darker more deprived: the planners' page's classes".into(),
    }
}

/// Gap results shaded by the gap, underserved wards outlined.
pub fn gap_style(layer: &str) -> LayerStyle {
    let (qml, sld) = graduated(
        layer,
        "gap",
        "Gap",
        &GAP_BREAKS,
        Some("if(\"underserved\", 0.9, 0.26)"),
    );
    LayerStyle {
        name: "assetmap: gap".into(),
        qml,
        sld,
        description: "Gap (need minus access) in the planners' page's classes, darker worse; underserved areas (gap of 0.5 or more) outlined in black".into(),
    }
}

/// Assets by category, in the residents' page's colours.
pub fn asset_style(layer: &str, categories: &[(String, String)]) -> LayerStyle {
    let mut cats = String::new();
    let mut symbols = String::new();
    let mut rules = String::new();
    for (k, (id, label)) in categories.iter().enumerate() {
        let colour = category_colour(id);
        cats.push_str(&format!(
            r#"<category value="{}" symbol="{k}" label="{}" render="true"/>"#,
            xml(id),
            xml(label)
        ));
        symbols.push_str(&format!(
            r#"<symbol type="marker" name="{k}" alpha="1" clip_to_extent="1" force_rhr="0"><layer class="SimpleMarker" enabled="1" locked="0" pass="0"><prop k="color" v="{}"/><prop k="name" v="circle"/><prop k="size" v="3"/><prop k="size_unit" v="MM"/><prop k="outline_color" v="255,255,255,255"/><prop k="outline_width" v="0.4"/><prop k="outline_style" v="solid"/></layer></symbol>"#,
            rgba(colour)
        ));
        rules.push_str(&format!(
            r#"<Rule><Name>{}</Name><Title>{}</Title><ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>category</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter><PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName><Fill><CssParameter name="fill">{colour}</CssParameter></Fill><Stroke><CssParameter name="stroke">#ffffff</CssParameter></Stroke></Mark><Size>10</Size></Graphic></PointSymbolizer></Rule>"#,
            xml(id),
            xml(label),
            xml(id)
        ));
    }
    let renderer = format!(
        r#"<renderer-v2 type="categorizedSymbol" attr="category" symbollevels="0" enableorderby="0" forceraster="0"><categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>"#
    );
    LayerStyle {
        name: "assetmap: categories".into(),
        qml: qml(&renderer),
        sld: sld(layer, &rules),
        description: "Assets by category in the residents' page's colours".into(),
    }
}

/// Writes `styles` (table, geometry column, style) into the GeoPackage's
/// `layer_styles` table, each the default for its layer.
pub fn write_layer_styles(
    tx: &rusqlite::Transaction,
    styles: &[(&str, LayerStyle)],
) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));",
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner) VALUES ('', '', ?1, 'geom', ?2, ?3, ?4, 1, ?5, 'assetmap')",
    )?;
    for (table, s) in styles {
        insert.execute(rusqlite::params![
            table,
            s.name,
            s.qml,
            s.sld,
            s.description
        ])?;
    }
    drop(insert);
    tx.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('layer_styles', 'attributes', 'layer_styles', 'Map styles (QGIS QML and SLD), the default for each layer')",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_and_colours_follow_the_pages() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(quintiles(&v), vec![20.0, 40.0, 60.0, 80.0]);
        assert_eq!(category_colour("gp"), "#1d6b40");
        assert_eq!(rgba("#1d6b40"), "29,107,64,255");
        let s = gap_style("ward_gaps");
        assert!(
            s.qml.contains(r#"<range lower="-1e300" upper="-0.5""#),
            "{}",
            s.qml
        );
        assert!(s.qml.contains("underserved"));
        assert!(
            s.sld.contains("<PropertyName>gap</PropertyName>")
                || s.sld.contains("<ogc:PropertyName>gap</ogc:PropertyName>")
        );
    }
}
