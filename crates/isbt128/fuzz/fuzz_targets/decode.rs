//! Fuzz target for the scan decoder: any input must give `Ok` or `Err`, never a panic,
//! and whatever decodes must re-encode to exactly the characters that were read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        let _ = isbt128::decode(&String::from_utf8_lossy(data));
        return;
    };
    if let Ok(scan) = isbt128::decode_scan(text) {
        let body: String = scan.items.iter().map(|item| item.structure.encode()).collect();
        let skip = scan.symbology.map_or(0, |s| s.identifier().len());
        assert_eq!(body, text.trim()[skip..], "decoded structures must re-encode to the scan");
        for item in &scan.items {
            let _ = item.structure.fields();
            let _ = item.structure.eye_readable();
            let _ = item.structure.check_character();
        }
    }
    let _ = isbt128::Din::parse_keyed(text);
    let _ = isbt128::check_character(text);
    let _ = isbt128::ProductCodeTable::from_csv(text);
});
