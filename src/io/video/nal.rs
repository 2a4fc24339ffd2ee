//! H.264 NAL unit framing, sans-IO: Annex B byte streams (`.h264` files), AVCC length-prefixed
//! frames (what the RTSP depacketiser hands over, 4-byte lengths) and the
//! AVCDecoderConfigurationRecord (`avcC`, the SPS and PPS announced in the SDP). The decoder
//! only ever sees what [`AccessUnit`] lets through: whole NAL units with a zero forbidden bit, no
//! start code inside and no trailing zero byte, a type the decoder knows (1–23: slices, SEI, SPS, PPS, delimiters, …; never 0 or the RTP
//! aggregation types 24–31), each at most [`MAX_NAL_BYTES`], at most [`MAX_NALS_PER_UNIT`] per
//! access unit, [`MAX_UNIT_BYTES`] in all, written out again with 4-byte start codes.

/// The largest NAL unit passed on, bytes (a 4K intra slice is some hundreds of kB).
pub const MAX_NAL_BYTES: usize = 4 << 20;
/// The most NAL units in one access unit (one frame: parameter sets, SEI, slices).
pub const MAX_NALS_PER_UNIT: usize = 256;
/// The largest access unit passed on, bytes.
pub const MAX_UNIT_BYTES: usize = 8 << 20;

/// NAL unit types that matter here.
pub mod kind {
    /// A coded slice of a non-IDR picture.
    pub const SLICE: u8 = 1;
    /// A coded slice of an IDR picture (a key frame).
    pub const IDR: u8 = 5;
    /// Sequence parameter set.
    pub const SPS: u8 = 7;
    /// Picture parameter set.
    pub const PPS: u8 = 8;
    /// Access unit delimiter (starts a new frame in an Annex B stream).
    pub const AUD: u8 = 9;
}

/// Why a NAL unit or a frame was not passed to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NalError {
    /// An AVCC length runs past the end of the frame.
    #[error("a NAL length of {claimed} bytes runs past the end of the frame ({left} left)")]
    Truncated {
        /// The length written.
        claimed: usize,
        /// Bytes left in the frame.
        left: usize,
    },
    /// A NAL unit above [`MAX_NAL_BYTES`].
    #[error("a NAL unit of {0} bytes (the limit is {MAX_NAL_BYTES})")]
    TooLarge(usize),
    /// More than [`MAX_NALS_PER_UNIT`] NAL units, or more than [`MAX_UNIT_BYTES`], in one frame.
    #[error("a frame of more than {MAX_NALS_PER_UNIT} NAL units or {MAX_UNIT_BYTES} bytes")]
    UnitTooLarge,
    /// The forbidden bit is set or the type is 0 or 24–31.
    #[error("a NAL unit with header byte {0:#04x} (forbidden bit or type 0 / 24-31)")]
    BadHeader(u8),
    /// A start code (`00 00 0x`, x ≤ 2) inside the unit, or a trailing zero byte.
    #[error("a NAL unit holding a start code or ending in a zero byte")]
    StartCodeInside,
    /// An empty NAL unit (a zero length).
    #[error("an empty NAL unit")]
    Empty,
    /// The avcC record is malformed.
    #[error("bad AVC decoder configuration: {0}")]
    BadConfig(&'static str),
}

/// The type of a NAL unit from its header byte.
pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

/// Checks one NAL unit (header and size).
pub fn check_nal(nal: &[u8]) -> Result<(), NalError> {
    let &header = nal.first().ok_or(NalError::Empty)?;
    if nal.len() > MAX_NAL_BYTES {
        return Err(NalError::TooLarge(nal.len()));
    }
    let t = header & 0x1f;
    if header & 0x80 != 0 || t == 0 || t >= 24 {
        return Err(NalError::BadHeader(header));
    }
    // H.264 7.4.1: inside a NAL unit `00 00 00`, `00 00 01` and `00 00 02` never occur
    // (emulation prevention) and the last byte is not 0; a unit breaking this would be read
    // by the decoder as other units than the ones checked here.
    if nal.last() == Some(&0) || nal.windows(3).any(|w| w[0] == 0 && w[1] == 0 && w[2] <= 2) {
        return Err(NalError::StartCodeInside);
    }
    Ok(())
}

/// The NAL units of an Annex B byte stream (start codes `00 00 01` or `00 00 00 01`); bytes
/// before the first start code and trailing zero bytes of each unit are dropped. Empty units
/// are skipped; nothing is checked (see [`AccessUnit::push`]).
pub fn annexb_units(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = find_start(data, 0).map(|(_, end)| end);
    std::iter::from_fn(move || loop {
        let start = pos?;
        let (unit_end, next) = match find_start(data, start) {
            Some((s, e)) => (s, Some(e)),
            None => (data.len(), None),
        };
        pos = next;
        let mut unit = &data[start..unit_end];
        while let [rest @ .., 0] = unit {
            unit = rest;
        }
        if !unit.is_empty() {
            return Some(unit);
        }
    })
}

/// The first start code at or after `from`: (its first byte, the byte after it).
fn find_start(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i + 3 <= data.len() {
        match data[i + 2] {
            1 if data[i] == 0 && data[i + 1] == 0 => return Some((i, i + 3)),
            0 => i += 1,
            _ => i += 3,
        }
    }
    None
}

/// The NAL units of one AVCC frame with 4-byte big-endian lengths.
pub fn avcc_units(data: &[u8]) -> Result<Vec<&[u8]>, NalError> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some((len, body)) = rest.split_first_chunk::<4>() else {
            return Err(NalError::Truncated {
                claimed: 4,
                left: rest.len(),
            });
        };
        let n = u32::from_be_bytes(*len) as usize;
        if n > body.len() {
            return Err(NalError::Truncated {
                claimed: n,
                left: body.len(),
            });
        }
        if out.len() == MAX_NALS_PER_UNIT {
            return Err(NalError::UnitTooLarge);
        }
        out.push(&body[..n]);
        rest = &body[n..];
    }
    Ok(out)
}

/// The SPS and PPS units of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1).
pub fn avc_config_units(record: &[u8]) -> Result<Vec<&[u8]>, NalError> {
    let bad = NalError::BadConfig;
    if record.len() < 6 {
        return Err(bad("shorter than 6 bytes"));
    }
    if record[0] != 1 {
        return Err(bad("version is not 1"));
    }
    if record[4] & 0x03 != 3 {
        return Err(bad("NAL lengths are not 4 bytes"));
    }
    let mut out = Vec::new();
    let mut rest = &record[5..];
    for (count_mask, want) in [(0x1f, kind::SPS), (0xff, kind::PPS)] {
        let (&count, tail) = rest.split_first().ok_or(bad("ends before a count"))?;
        rest = tail;
        for _ in 0..(count & count_mask) {
            let (len, tail) = rest
                .split_first_chunk::<2>()
                .ok_or(bad("ends inside a length"))?;
            let n = u16::from_be_bytes(*len) as usize;
            if n > tail.len() {
                return Err(bad("a parameter set runs past the end"));
            }
            let unit = &tail[..n];
            if nal_type(unit) != want {
                return Err(bad("a parameter set of the wrong type"));
            }
            out.push(unit);
            rest = &tail[n..];
        }
    }
    Ok(out)
}

/// One frame's NAL units, checked, as the Annex B bytes handed to the decoder.
#[derive(Debug, Default, Clone)]
pub struct AccessUnit {
    bytes: Vec<u8>,
    count: usize,
    has_idr: bool,
    has_slice: bool,
    has_sps: bool,
}

impl AccessUnit {
    /// An empty access unit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties it, keeping the buffer.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.count = 0;
        self.has_idr = false;
        self.has_slice = false;
        self.has_sps = false;
    }

    /// Appends one NAL unit after checking it; a unit that fails is not appended.
    pub fn push(&mut self, nal: &[u8]) -> Result<(), NalError> {
        check_nal(nal)?;
        if self.count == MAX_NALS_PER_UNIT || self.bytes.len() + 4 + nal.len() > MAX_UNIT_BYTES {
            return Err(NalError::UnitTooLarge);
        }
        match nal_type(nal) {
            kind::IDR => {
                self.has_idr = true;
                self.has_slice = true;
            }
            2..=4 | kind::SLICE => self.has_slice = true,
            kind::SPS => self.has_sps = true,
            _ => {}
        }
        self.bytes.extend_from_slice(&[0, 0, 0, 1]);
        self.bytes.extend_from_slice(nal);
        self.count += 1;
        Ok(())
    }

    /// The Annex B bytes (4-byte start codes).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// NAL units held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// No NAL unit held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// It holds an IDR slice (a key frame).
    pub fn is_key(&self) -> bool {
        self.has_idr
    }

    /// It holds a coded slice (a picture).
    pub fn has_picture(&self) -> bool {
        self.has_slice
    }

    /// It holds a sequence parameter set.
    pub fn has_sps(&self) -> bool {
        self.has_sps
    }
}

/// Splits an Annex B byte stream into access units as it is read in chunks: a new unit starts
/// at an access unit delimiter, an SPS, or a slice whose `first_mb_in_slice` is 0 after a
/// picture (the first byte after the header starts with a 1 bit: exp-Golomb 0). Bad NAL units
/// are counted and dropped. Memory: the unread tail is bounded by [`MAX_UNIT_BYTES`] plus one
/// chunk; a longer run without a start code is dropped.
#[derive(Debug, Default)]
pub struct AnnexBSplitter {
    pending: Vec<u8>,
    /// The start codes found in `pending` (first byte, byte after).
    starts: Vec<(usize, usize)>,
    /// Where the search for start codes goes on in `pending`.
    scan_from: usize,
    unit: AccessUnit,
    dropped: u64,
}

impl AnnexBSplitter {
    /// A splitter with nothing read.
    pub fn new() -> Self {
        Self::default()
    }

    /// NAL units dropped so far (bad header, too large, too many).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Feeds bytes; complete access units go to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<AccessUnit>) {
        self.pending.extend_from_slice(data);
        let mut from = self.scan_from;
        while let Some((s, e)) = find_start(&self.pending, from) {
            self.starts.push((s, e));
            from = e;
        }
        // A start code may begin in the last two bytes and end in the next chunk.
        self.scan_from = from.max(self.pending.len().saturating_sub(2));
        // Every unit but the last is complete (the last may continue in the next chunk).
        if self.starts.len() >= 2 {
            let pending = std::mem::take(&mut self.pending);
            let starts = std::mem::take(&mut self.starts);
            for pair in starts.windows(2) {
                self.nal(&pending[pair[0].1..pair[1].0], out);
            }
            let (s, e) = starts[starts.len() - 1];
            self.pending = pending[s..].to_vec();
            self.starts.push((0, e - s));
            self.scan_from -= s;
        }
        // Bounded: junk without a start code, or one unit above the limit, is dropped.
        let open = self.starts.first().map_or(0, |&(_, e)| e);
        if self.pending.len() - open > MAX_UNIT_BYTES {
            self.pending.clear();
            self.starts.clear();
            self.scan_from = 0;
            self.dropped += 1;
        }
    }

    /// The end of the stream: the last unit and the frame it belongs to.
    pub fn finish(&mut self, out: &mut Vec<AccessUnit>) {
        let pending = std::mem::take(&mut self.pending);
        self.starts.clear();
        self.scan_from = 0;
        for nal in annexb_units(&pending) {
            self.nal(nal, out);
        }
        if self.unit.has_picture() {
            out.push(std::mem::take(&mut self.unit));
        }
        self.unit.clear();
    }

    fn nal(&mut self, nal: &[u8], out: &mut Vec<AccessUnit>) {
        let mut nal = nal;
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        if nal.is_empty() {
            return;
        }
        let t = nal_type(nal);
        let first_slice = matches!(t, 1..=5) && nal.get(1).is_some_and(|b| b & 0x80 != 0);
        let starts_unit = matches!(t, kind::AUD | kind::SPS | kind::PPS | 6) || first_slice;
        if starts_unit && self.unit.has_picture() {
            out.push(std::mem::take(&mut self.unit));
        }
        if self.unit.push(nal).is_err() {
            self.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb_start_codes_of_both_lengths_and_trailing_zeros() {
        let data = [
            9, 9, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0x88, 0, 0,
        ];
        let units: Vec<&[u8]> = annexb_units(&data).collect();
        assert_eq!(
            units,
            vec![&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 0x88][..]]
        );
        assert_eq!(annexb_units(&[1, 2, 3]).count(), 0);
        assert_eq!(annexb_units(&[0, 0, 1, 0, 0, 1]).count(), 0);
    }

    #[test]
    fn avcc_lengths_are_checked() {
        let ok = [0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 0x41];
        assert_eq!(avcc_units(&ok).unwrap(), vec![&[0x65, 1][..], &[0x41][..]]);
        assert!(matches!(
            avcc_units(&[0, 0, 0, 9, 0x65]),
            Err(NalError::Truncated { claimed: 9, .. })
        ));
        assert!(avcc_units(&[0, 0, 1]).is_err());
        assert_eq!(avcc_units(&[]).unwrap().len(), 0);
    }

    #[test]
    fn bad_headers_never_reach_the_decoder() {
        let mut au = AccessUnit::new();
        for bad in [&[0x80u8, 1][..], &[0x00], &[0x18, 1], &[0x1f], &[]] {
            assert!(au.push(bad).is_err(), "{bad:?}");
        }
        assert!(au.is_empty());
        au.push(&[0x65, 0x88]).unwrap();
        assert!(au.is_key() && au.has_picture());
        assert_eq!(au.bytes(), &[0, 0, 0, 1, 0x65, 0x88]);
    }

    #[test]
    fn avc_config_record() {
        let rec = [1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 2, 0x67, 9, 1, 0, 1, 0x68];
        assert_eq!(
            avc_config_units(&rec).unwrap(),
            vec![&[0x67, 9][..], &[0x68][..]]
        );
        assert!(avc_config_units(&rec[..9]).is_err());
        let mut wrong = rec;
        wrong[8] = 0x68;
        assert!(avc_config_units(&wrong).is_err());
    }

    #[test]
    fn splitter_cuts_frames_at_first_slices_in_any_chunking() {
        // SPS, PPS, IDR (first_mb 0), P slice (first_mb 0), P slice (first_mb ≠ 0), P slice.
        let stream = [
            0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 1, 0x65, 0x88, 0, 0, 1, 0x41, 0x9a, 0, 0,
            1, 0x41, 0x40, 0, 0, 1, 0x41, 0x9b,
        ];
        for chunk in 1..stream.len() {
            let mut s = AnnexBSplitter::new();
            let mut out = Vec::new();
            for c in stream.chunks(chunk) {
                s.push(c, &mut out);
            }
            s.finish(&mut out);
            let counts: Vec<usize> = out.iter().map(AccessUnit::len).collect();
            assert_eq!(counts, vec![3, 2, 1], "chunk {chunk}");
            assert!(out[0].is_key() && !out[1].is_key());
        }
    }
}
