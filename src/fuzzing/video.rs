//! The video-in fuzz entry point (see the list in `fuzzing.rs`).

/// The H.264 framing of video in (`io::video::nal`) and the decoder behind it. The first byte
/// picks the path: even → the input is an Annex B stream, split by [`AnnexBSplitter`] in chunks
/// of (second byte + 1) bytes; odd → the rest is an AVCC frame (4-byte lengths) and also an
/// avcC record. The access units that come out (at most 16) go to one OpenH264 decoder.
///
/// # Panics
/// When a unit handed to the decoder breaks the framing rules (a NAL unit with the forbidden
/// bit, type 0 or 24–31, or above the size limits), or when the framing depends on the
/// chunking; a crash in the decoder is a finding too.
///
/// [`AnnexBSplitter`]: crate::io::video::nal::AnnexBSplitter
pub fn h264_nal(data: &[u8]) {
    use crate::io::video::decode::H264Decoder;
    use crate::io::video::nal::{self, AccessUnit, AnnexBSplitter};
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut units: Vec<AccessUnit> = Vec::new();
    if mode % 2 == 0 {
        let chunk = usize::from(rest.first().copied().unwrap_or(0)) + 1;
        let mut whole = AnnexBSplitter::new();
        let mut one = Vec::new();
        whole.push(rest, &mut one);
        whole.finish(&mut one);
        let mut split = AnnexBSplitter::new();
        for c in rest.chunks(chunk) {
            split.push(c, &mut units);
        }
        split.finish(&mut units);
        let a: Vec<&[u8]> = one.iter().map(AccessUnit::bytes).collect();
        let b: Vec<&[u8]> = units.iter().map(AccessUnit::bytes).collect();
        assert_eq!(
            a, b,
            "the access units depend on the chunking ({chunk} bytes)"
        );
    } else {
        if let Ok(nals) = nal::avcc_units(rest) {
            let mut au = AccessUnit::new();
            for n in nals {
                let _ = au.push(n);
            }
            units.push(au);
        }
        if let Ok(sets) = nal::avc_config_units(rest) {
            let mut au = AccessUnit::new();
            for n in sets {
                let _ = au.push(n);
            }
            units.push(au);
        }
    }
    for u in &units {
        assert!(u.len() <= nal::MAX_NALS_PER_UNIT && u.bytes().len() <= nal::MAX_UNIT_BYTES);
        // The decoder reads Annex B: the units it will read are exactly the units checked.
        let read: Vec<&[u8]> = nal::annexb_units(u.bytes()).collect();
        assert_eq!(read.len(), u.len(), "the decoder would read other units");
        for n in read {
            assert!(
                nal::check_nal(n).is_ok(),
                "a bad unit reached the decoder: {n:02x?}"
            );
        }
    }
    let Ok(mut decoder) = H264Decoder::new() else {
        return;
    };
    for u in units.iter().take(16) {
        let _ = decoder.decode(u);
    }
}
