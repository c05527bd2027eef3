//! Labels must scan: render them, rasterize them with independent tools (rsvg-convert
//! for SVG, pdftoppm for PDF), decode with independent decoders (zxing-cpp's
//! ZXingReader for Code 128, libdmtx's dmtxread for Data Matrix) and compare the
//! decoded strings byte for byte with what was encoded.

use render::label::{UnitLabel, UnitLabelSource};
use std::path::Path;
use std::process::Command;

fn tools_present() -> bool {
    let ok = ["ZXingReader", "dmtxread", "pdftoppm", "rsvg-convert"]
        .iter()
        .all(|t| Command::new("sh").arg("-c").arg(format!("command -v {t}")).output().map(|o| o.status.success()).unwrap_or(false));
    if !ok && std::env::var("HEMAFLOW_REQUIRE_DECODERS").as_deref() == Ok("1") {
        panic!("HEMAFLOW_REQUIRE_DECODERS=1 but ZXingReader, dmtxread, pdftoppm or rsvg-convert is missing");
    }
    ok
}

fn label() -> UnitLabel {
    let din = isbt128::Din::new("A9998", 2026, 123, isbt128::Flags::NONE).unwrap();
    let groups = isbt128::BloodGroups::parse("=%5100").unwrap();
    let product = isbt128::ProductCode::parse("=<E0398V00").unwrap();
    let expiry = isbt128::ExpirationDateTime::parse("&>0263652359").unwrap();
    let collected = isbt128::Date::new(2026, 11, 20).unwrap();
    UnitLabel::from_isbt(&UnitLabelSource {
        facility: "Riverside Donor Center",
        din: &din,
        blood_groups: &groups,
        product: &product,
        expiry: &expiry,
        collected: Some(&collected),
        description: vec!["RED BLOOD CELLS".into(), "CPD>AS5/450mL/refg".into(), "Irradiated · ResLeu".into()],
        notices: vec!["EMERGENCY RELEASE - NOT TESTED".into()],
    })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every Code 128 text ZXingReader finds, sorted.
fn code128_texts(png: &Path) -> Vec<String> {
    let out = run(Command::new("ZXingReader").args(["-format", "Code128", "-1"]).arg(png));
    let mut texts: Vec<String> = out
        .lines()
        // "<file> Code128 \"<text>\""
        .filter_map(|l| {
            let (start, end) = (l.find('"')?, l.rfind('"')?);
            (end > start).then(|| l[start + 1..end].to_string())
        })
        .collect();
    texts.sort();
    texts
}

fn datamatrix_texts(png: &Path) -> Vec<String> {
    run(Command::new("dmtxread").args(["-N1", "-S", "2", "-m", "20000"]).arg(png)).lines().map(str::to_string).collect()
}

fn check(png: &Path, l: &UnitLabel) {
    let mut want = vec![l.din_data.clone(), l.group_data.clone(), l.product_data.clone(), l.expiry_data.clone()];
    want.sort();
    assert_eq!(code128_texts(png), want, "Code 128 symbols of {}", png.display());
    assert_eq!(datamatrix_texts(png), vec![l.compound_data.clone()], "Data Matrix of {}", png.display());
}

#[test]
fn svg_and_pdf_labels_decode_to_exactly_what_was_encoded() {
    if !tools_present() {
        eprintln!("skipped: decoders not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let l = label();

    let svg = dir.path().join("label.svg");
    std::fs::write(&svg, l.to_svg().unwrap()).unwrap();
    let svg_png = dir.path().join("label-svg.png");
    run(Command::new("rsvg-convert").args(["-d", "300", "-p", "300", "-b", "white", "-o"]).arg(&svg_png).arg(&svg));
    check(&svg_png, &l);

    let pdf = dir.path().join("label.pdf");
    std::fs::write(&pdf, l.to_pdf().unwrap()).unwrap();
    run(Command::new("pdftoppm").args(["-r", "300", "-png", "-singlefile"]).arg(&pdf).arg(dir.path().join("label-pdf")));
    check(&dir.path().join("label-pdf.png"), &l);
    // The PDF's text is real text: the eye-readable DIN can be found in it.
    let pdf_bytes = std::fs::read(&pdf).unwrap();
    assert!(pdf_bytes.windows(15).any(|w| w == b"A9998 26 000123"));
}
