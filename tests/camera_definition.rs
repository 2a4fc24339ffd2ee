//! The camera definition (`src/core/settings/siyi_a8_mini.xml`) against the rules ground stations
//! apply. No XML schema (XSD) for camera definitions is published (see
//! `fixtures/camera-definition/README.md`), so the checks are those of the camera definition
//! documentation (mavlink.io/en/services/camera_def.html) and of QGroundControl's parser
//! (`VehicleCameraControl::_loadCameraDefinitionFile` and the functions it calls): the elements
//! and attributes that parser reads, what it requires, the values it converts. Plus the
//! parameter table the PARAM_EXT service serves (`/work/prompts/params.md` of issue 12): names,
//! types, options and defaults exactly.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::Event;
use siyi_bridge::core::settings::definition;

/// One element: name, attributes, children, text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Self>,
    text: String,
}

impl Node {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).map(String::as_str)
    }

    fn all(&self, name: &str) -> Vec<&Self> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    fn only(&self, name: &str) -> &Self {
        let v = self.all(name);
        assert_eq!(v.len(), 1, "<{}> needs exactly one <{name}>", self.name);
        v[0]
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a Self>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Node {
    let mut n = Node {
        name: String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8 name"),
        ..Node::default()
    };
    for a in e.attributes() {
        let a = a.expect("well-formed attribute");
        let key = String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8 key");
        let value = a
            .normalized_value(quick_xml::XmlVersion::Explicit1_0)
            .expect("attribute value")
            .into_owned();
        assert!(
            n.attrs.insert(key.clone(), value).is_none(),
            "duplicate {key}"
        );
    }
    n
}

/// Parses `xml` into its root element (panics on anything not well-formed).
fn parse(xml: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack = vec![Node::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let n = element(&e);
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::Text(t) => {
                let text = t.decode().expect("utf-8 text");
                stack.last_mut().expect("element").text.push_str(&text);
            }
            Event::GeneralRef(_) | Event::CData(_) | Event::DocType(_) | Event::PI(_) => {
                panic!("the definition uses no entities, CDATA, DTD or processing instructions")
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) => {}
        }
    }
    let mut doc = stack.pop().expect("document");
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().expect("root")
}

/// The elements QGroundControl's parser reads, with the attributes it reads on each.
fn known() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("mavlinkcamera", &[][..]),
        ("definition", &["version"][..]),
        ("model", &[][..]),
        ("vendor", &[][..]),
        ("parameters", &[][..]),
        (
            "parameter",
            &[
                "name",
                "type",
                "default",
                "control",
                "readonly",
                "writeonly",
                "min",
                "max",
                "step",
                "decimalPlaces",
                "unit",
            ][..],
        ),
        ("description", &[][..]),
        ("options", &["default"][..]),
        ("option", &["name", "value"][..]),
        ("exclusions", &[][..]),
        ("exclude", &[][..]),
        ("updates", &[][..]),
        ("update", &[][..]),
        ("parameterranges", &[][..]),
        ("parameterrange", &["parameter", "condition"][..]),
        ("roption", &["name", "value"][..]),
        ("localization", &[][..]),
        ("locale", &["name"][..]),
        ("strings", &["original", "translated"][..]),
    ])
}

/// The value range of a type name QGroundControl knows (`FactMetaData::stringToType`,
/// case-insensitive); `None` for the non-integer ones.
fn integer_range(ty: &str) -> Option<(i128, i128)> {
    Some(match ty.to_ascii_lowercase().as_str() {
        "uint8" | "bool" => (0, u8::MAX.into()),
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "uint64" => (0, u64::MAX.into()),
        "int64" => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    })
}

fn is_known_type(ty: &str) -> bool {
    integer_range(ty).is_some()
        || ["float", "double", "string", "custom", "elapsedseconds"]
            .contains(&ty.to_ascii_lowercase().as_str())
}

/// `value` as a number of type `ty` (integers in range; floats finite).
fn number(ty: &str, value: &str, what: &str) -> f64 {
    if let Some((lo, hi)) = integer_range(ty) {
        let v: i128 = value
            .parse()
            .unwrap_or_else(|_| panic!("{what} {value:?} is not an integer"));
        assert!((lo..=hi).contains(&v), "{what} {v} outside {ty}");
        v as f64
    } else {
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("{what} {value:?} is not a number"));
        assert!(v.is_finite(), "{what} {value:?}");
        v
    }
}

/// Every element and attribute is one QGroundControl's parser reads.
fn check_elements(root: &Node) {
    assert_eq!(root.name, "mavlinkcamera");
    let known = known();
    let mut nodes = Vec::new();
    root.walk(&mut nodes);
    for n in nodes {
        let attrs = known
            .get(n.name.as_str())
            .unwrap_or_else(|| panic!("<{}> is not an element of a camera definition", n.name));
        for a in n.attrs.keys() {
            assert!(attrs.contains(&a.as_str()), "<{} {a}> is not read", n.name);
        }
    }
}

#[test]
fn the_definition_names_the_camera_and_its_version() {
    let root = parse(definition::XML);
    let def = root.only("definition");
    assert_eq!(def.attr("version"), Some(&*definition::VERSION.to_string()));
    assert_eq!(def.only("model").text, "A8 mini");
    assert_eq!(def.only("vendor").text, "SIYI");
}

/// Every parameter is complete and consistent, as QGroundControl's parser needs it.
fn check_parameters(root: &Node) {
    let params = root.only("parameters").all("parameter");
    assert!(
        !params.is_empty(),
        "QGC rejects a definition without parameters"
    );
    let names: BTreeSet<&str> = params
        .iter()
        .map(|p| p.attr("name").expect("name"))
        .collect();
    assert_eq!(names.len(), params.len(), "duplicate parameter names");
    assert!(names.contains("CAM_MODE"), "CAM_MODE must be a parameter");
    for p in &params {
        let name = p.attr("name").expect("name");
        assert!(name.len() <= 16, "{name}: PARAM_EXT ids are 16 bytes");
        let ty = p.attr("type").unwrap_or_else(|| panic!("{name}: no type"));
        assert!(is_known_type(ty), "{name}: unknown type {ty}");
        assert!(
            !p.only("description").text.is_empty(),
            "{name}: no description"
        );
        for flag in ["control", "readonly", "writeonly"] {
            assert!(
                matches!(p.attr(flag), None | Some("0" | "1")),
                "{name} {flag}"
            );
        }
        assert!(
            !(p.attr("readonly") == Some("1") && p.attr("writeonly") == Some("1")),
            "{name}: both read only and write only"
        );
        let default = p
            .attr("default")
            .unwrap_or_else(|| panic!("{name}: no default"));
        let default = number(ty, default, &format!("{name} default"));
        let options = p.all("options");
        assert!(options.len() <= 1, "{name}: one <options>");
        if let Some(options) = options.first() {
            let options = options.all("option");
            assert!(!options.is_empty(), "{name}: empty <options>");
            let mut values = BTreeSet::new();
            let mut labels = BTreeSet::new();
            for o in &options {
                let v = number(
                    ty,
                    o.attr("value").expect("value"),
                    &format!("{name} option"),
                );
                assert!(values.insert(v.to_bits()), "{name}: option value {v} twice");
                assert!(labels.insert(o.attr("name").expect("option name")));
            }
            assert!(
                values.contains(&default.to_bits()),
                "{name}: default not an option"
            );
            for range in ["min", "max", "step"] {
                assert!(p.attr(range).is_none(), "{name}: options and a range");
            }
        } else {
            let min = p.attr("min").map(|v| number(ty, v, &format!("{name} min")));
            let max = p.attr("max").map(|v| number(ty, v, &format!("{name} max")));
            let step = p
                .attr("step")
                .map(|v| number(ty, v, &format!("{name} step")));
            assert!(min.unwrap_or(f64::MIN) <= default && default <= max.unwrap_or(f64::MAX));
            assert!(step.is_none_or(|s| s > 0.0), "{name}: step");
        }
        for list in ["updates", "exclusions", "parameterranges"] {
            let refs: Vec<&Node> = {
                let mut all = Vec::new();
                p.walk(&mut all);
                all.into_iter().filter(|n| n.name == list).collect()
            };
            for r in refs {
                for item in &r.children {
                    let target = item.attr("parameter").unwrap_or(&item.text);
                    assert!(names.contains(target), "{name}: <{list}> names {target}");
                }
            }
        }
    }
}

#[test]
fn the_parameters_are_exactly_the_table_of_the_param_ext_service() {
    // (name, options or None for a range, default): issue 12's parameter table.
    let table: [(&str, Option<&[u32]>, u32); 6] = [
        ("CAM_MODE", Some(&[0, 1]), 0),
        ("GIMBAL_MODE", Some(&[0, 1, 2]), 1),
        ("STREAM_RES", Some(&[0, 1]), 0),
        ("STREAM_BITRATE", None, 4000),
        ("STREAM_CODEC", Some(&[1, 2]), 2),
        ("REC_RES", Some(&[0, 1, 2, 3]), 2),
    ];
    let root = parse(definition::XML);
    let params = root.only("parameters").all("parameter");
    assert_eq!(params.len(), table.len());
    for (p, (name, options, default)) in params.iter().zip(table) {
        assert_eq!(p.attr("name"), Some(name));
        assert_eq!(p.attr("type"), Some("uint32"), "{name}");
        assert_eq!(p.attr("default"), Some(&*default.to_string()), "{name}");
        let values: Vec<u32> = p
            .all("options")
            .iter()
            .flat_map(|o| o.all("option"))
            .map(|o| o.attr("value").expect("value").parse().expect("u32"))
            .collect();
        match options {
            Some(o) => assert_eq!(values, o, "{name}"),
            None => {
                assert!(values.is_empty());
                assert_eq!((p.attr("min"), p.attr("max")), (Some("1570"), Some("4000")));
            }
        }
    }
    // The mode is not a control of its own: QGC's photo/video switch sets it.
    assert_eq!(params[0].attr("control"), Some("0"));
    assert!(params[1..].iter().all(|p| p.attr("control").is_none()));
}

#[test]
fn every_element_and_attribute_is_one_the_parser_reads() {
    check_elements(&parse(definition::XML));
}

#[test]
fn every_parameter_is_complete_and_consistent() {
    check_parameters(&parse(definition::XML));
}

#[test]
fn the_checks_catch_a_broken_definition() {
    let broken = [
        (
            "type=\"uint32\" default=\"1\"",
            "type=\"uint33\" default=\"1\"",
        ),
        ("default=\"4000\"", "default=\"5000\""),
        ("name=\"FPV\" value=\"2\"", "name=\"FPV\" value=\"1\""),
        (
            "default=\"2\">\n            <description>Recording",
            "default=\"4\">\n            <description>Recording",
        ),
        (
            "<update>STREAM_BITRATE</update>",
            "<update>STREAM_BITRAT</update>",
        ),
        ("<description>Gimbal Mode</description>", ""),
        (
            "<parameter name=\"GIMBAL_MODE\"",
            "<parameter nmae=\"GIMBAL_MODE\"",
        ),
        ("<model>A8 mini</model>", "<model>A8 mini</model><lens/>"),
        ("step=\"1\"", "step=\"0\""),
    ];
    for (from, to) in broken {
        assert!(definition::XML.contains(from), "{from}");
        let xml = definition::XML.replace(from, to);
        let r = std::panic::catch_unwind(|| {
            let root = parse(&xml);
            check_elements(&root);
            check_parameters(&root);
        });
        assert!(r.is_err(), "a broken definition passed: {to}");
    }
}
