//! Any bytes through detection and every redaction method: no panic, spans inside the
//! input, in order, never overlapping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obereg_detect::{Method, detect, redact};

fuzz_target!(|data: &[u8]| {
    let found = detect(data);
    let mut last = 0;
    for f in &found {
        assert!(f.start >= last && f.start < f.end && f.end <= data.len());
        last = f.end;
    }
    for method in [Method::Label, Method::Mask, Method::Pseudonym(b"fuzzing key of thirty-two bytes!".to_vec().into())] {
        let _ = redact(data, &found, &method);
    }
});
