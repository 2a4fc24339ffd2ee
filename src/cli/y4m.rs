//! A reader of YUV4MPEG2 (`.y4m`) files as ffmpeg writes them (`ffmpeg -i in.mp4 -pix_fmt gray
//! out.y4m`, or `-pix_fmt yuv420p`): the stream header, then per frame a `FRAME` line and the
//! planes. Only the luma plane is kept; chroma is skipped.
//!
//! Accepted colour spaces (the `C` parameter): `mono`, `420jpeg` (the default when `C` is
//! absent), `420paldv`, `420mpeg2`, `420`, `422`, `444` — all 8-bit. Rejected with a clear error:
//! a missing `YUV4MPEG2 ` magic, missing or zero `W`/`H`, sides above 16384, other colour spaces
//! (e.g. 10-bit `420p10`), an interlaced `I` other than `p`/`?`, header lines above 4 KiB, a
//! frame that does not start with `FRAME`, and a truncated frame.

use std::io::{BufRead, Read};

/// The largest width or height accepted, pixels.
pub const MAX_SIDE_PX: usize = 16_384;
/// The longest header line (stream or frame) accepted, bytes.
const MAX_LINE_BYTES: usize = 4096;

/// What went wrong reading a `.y4m` stream.
#[derive(Debug, thiserror::Error)]
pub enum Y4mError {
    /// Reading failed.
    #[error("reading the video: {0}")]
    Io(#[from] std::io::Error),
    /// The stream header is bad or unsupported.
    #[error("bad y4m header: {0}")]
    Header(String),
    /// A frame header is bad.
    #[error("bad y4m frame {frame}: {what}")]
    Frame {
        /// 0-based frame index.
        frame: u64,
        /// What is wrong.
        what: String,
    },
    /// The stream ends inside a frame.
    #[error("y4m frame {frame} is truncated: {got} of {needed} bytes")]
    Truncated {
        /// 0-based frame index.
        frame: u64,
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
}

/// The stream parameters used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Y4mHeader {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Frame rate (numerator, denominator); (0, 0) when absent.
    pub rate: (u32, u32),
    /// The colour space as written (`mono`, `420jpeg`, ...).
    pub colour: String,
}

/// Reads frames one by one into one reused luma buffer (`width × height` bytes, stride = width);
/// the buffer grows with the bytes read, so a header claiming a huge frame over a short stream
/// costs nothing.
pub struct Y4mReader<R> {
    inner: R,
    header: Y4mHeader,
    chroma_bytes: usize,
    luma: Vec<u8>,
    skip: Vec<u8>,
    next_frame: u64,
}

impl<R: BufRead> Y4mReader<R> {
    /// Reads and checks the stream header.
    pub fn new(mut inner: R) -> Result<Self, Y4mError> {
        let start = inner.fill_buf()?;
        if !start.is_empty() && !start.starts_with(b"YUV4MPEG2") && !b"YUV4MPEG2".starts_with(start)
        {
            return Err(Y4mError::Header(
                "not a YUV4MPEG2 stream (no YUV4MPEG2 magic)".into(),
            ));
        }
        let line =
            read_line(&mut inner)?.ok_or_else(|| Y4mError::Header("the file is empty".into()))?;
        let line = line.map_err(|what| Y4mError::Header(what.into()))?;
        let header = parse_header(&line)?;
        let (w, h) = (header.width, header.height);
        let chroma_bytes = match header.colour.as_str() {
            "mono" => 0,
            "420jpeg" | "420paldv" | "420mpeg2" | "420" => 2 * w.div_ceil(2) * h.div_ceil(2),
            "422" => 2 * w.div_ceil(2) * h,
            "444" => 2 * w * h,
            other => {
                return Err(Y4mError::Header(format!(
                    "colour space C{other} is not supported (8-bit mono, 420, 422 or 444)"
                )))
            }
        };
        Ok(Self {
            inner,
            header,
            chroma_bytes,
            luma: Vec::new(),
            skip: vec![0; 64 * 1024],
            next_frame: 0,
        })
    }

    /// The stream header.
    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// The next frame's luma plane (`width × height` bytes), `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, Y4mError> {
        let frame = self.next_frame;
        let Some(line) = read_line(&mut self.inner)? else {
            return Ok(None);
        };
        let line = line.map_err(|what| Y4mError::Frame {
            frame,
            what: what.into(),
        })?;
        if line != "FRAME" && !line.starts_with("FRAME ") {
            let shown: String = line.chars().take(20).collect();
            return Err(Y4mError::Frame {
                frame,
                what: format!("expected FRAME, found {shown:?}"),
            });
        }
        let luma_bytes = self.header.width * self.header.height;
        let needed = luma_bytes + self.chroma_bytes;
        // Filled as the bytes arrive (the buffer grows with the data, not with the header's
        // claim), and reused from frame to frame.
        self.luma.clear();
        let got = (&mut self.inner)
            .take(luma_bytes as u64)
            .read_to_end(&mut self.luma)?;
        if got < luma_bytes {
            return Err(Y4mError::Truncated { frame, needed, got });
        }
        let mut left = self.chroma_bytes;
        while left > 0 {
            let n = left.min(self.skip.len());
            let read = read_full(&mut self.inner, &mut self.skip[..n])?;
            left -= read;
            if read < n {
                return Err(Y4mError::Truncated {
                    frame,
                    needed,
                    got: needed - left,
                });
            }
        }
        self.next_frame += 1;
        Ok(Some(&self.luma))
    }
}

/// Fills `buf` as far as the stream goes; the number of bytes read.
fn read_full<R: BufRead>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match r.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// One `\n`-terminated line (without the `\n`): `None` at a clean end of stream, `Some(Err)` for
/// a line that is too long, not ASCII, or cut off by the end of the stream.
fn read_line<R: BufRead>(r: &mut R) -> Result<Option<Result<String, &'static str>>, Y4mError> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            if line.is_empty() {
                return Ok(None);
            }
            return Ok(Some(Err("the stream ends inside a header line")));
        }
        if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&buf[..pos]);
            r.consume(pos + 1);
            break;
        }
        let n = buf.len();
        line.extend_from_slice(buf);
        r.consume(n);
        if line.len() > MAX_LINE_BYTES {
            return Ok(Some(Err("header line longer than 4096 bytes")));
        }
    }
    if line.len() > MAX_LINE_BYTES {
        return Ok(Some(Err("header line longer than 4096 bytes")));
    }
    match String::from_utf8(line) {
        Ok(s) if s.is_ascii() => Ok(Some(Ok(s))),
        _ => Ok(Some(Err("header line is not ASCII"))),
    }
}

fn parse_header(line: &str) -> Result<Y4mHeader, Y4mError> {
    let bad = |what: String| Y4mError::Header(what);
    let rest = line
        .strip_prefix("YUV4MPEG2 ")
        .or_else(|| (line == "YUV4MPEG2").then_some(""))
        .ok_or_else(|| bad("not a YUV4MPEG2 stream (no YUV4MPEG2 magic)".into()))?;
    let (mut width, mut height) = (None, None);
    let mut rate = (0, 0);
    let mut colour = "420jpeg".to_string();
    for token in rest.split(' ').filter(|t| !t.is_empty()) {
        let mut chars = token.chars();
        let key = chars.next().unwrap_or(' ');
        let value = chars.as_str();
        match key {
            'W' | 'H' => {
                let v: usize = value
                    .parse()
                    .map_err(|_| bad(format!("{key} {value:?} is not a number")))?;
                if v == 0 || v > MAX_SIDE_PX {
                    return Err(bad(format!("{key}{v} is outside 1..={MAX_SIDE_PX}")));
                }
                if key == 'W' {
                    width = Some(v);
                } else {
                    height = Some(v);
                }
            }
            'F' => {
                let (n, d) = value
                    .split_once(':')
                    .and_then(|(n, d)| Some((n.parse().ok()?, d.parse().ok()?)))
                    .ok_or_else(|| bad(format!("frame rate F{value} is not N:D")))?;
                rate = (n, d);
            }
            'I' if value != "p" && value != "?" => {
                return Err(bad(format!("interlaced video (I{value}) is not supported")));
            }
            'C' => colour = value.to_string(),
            _ => {} // A (aspect), X (comments / extensions): not needed
        }
    }
    let width = width.ok_or_else(|| bad("no W (width)".into()))?;
    let height = height.ok_or_else(|| bad("no H (height)".into()))?;
    Ok(Y4mHeader {
        width,
        height,
        rate,
        colour,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(header: &str, frames: &[&[u8]]) -> Vec<u8> {
        let mut v = header.as_bytes().to_vec();
        v.push(b'\n');
        for f in frames {
            v.extend_from_slice(b"FRAME\n");
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn reads_420_and_mono_luma() {
        // 3 × 2 at 4:2:0: 6 luma bytes + 2 × (2 × 1) chroma bytes.
        let f0: Vec<u8> = (0..10).collect();
        let f1: Vec<u8> = (10..20).collect();
        let data = stream(
            "YUV4MPEG2 W3 H2 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG",
            &[&f0, &f1],
        );
        let mut r = Y4mReader::new(&data[..]).unwrap();
        assert_eq!(r.header().rate, (30, 1));
        assert_eq!(r.next_frame().unwrap().unwrap(), &[0, 1, 2, 3, 4, 5]);
        assert_eq!(r.next_frame().unwrap().unwrap(), &[10, 11, 12, 13, 14, 15]);
        assert!(r.next_frame().unwrap().is_none());
        let data = stream("YUV4MPEG2 W2 H2 Cmono", &[&[9, 8, 7, 6]]);
        let mut r = Y4mReader::new(&data[..]).unwrap();
        assert_eq!(r.next_frame().unwrap().unwrap(), &[9, 8, 7, 6]);
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn bad_headers_and_truncation_are_errors() {
        for h in [
            "",
            "YUV4MPEG W2 H2",
            "YUV4MPEG2 H2",
            "YUV4MPEG2 W2",
            "YUV4MPEG2 W0 H2",
            "YUV4MPEG2 W99999 H2",
            "YUV4MPEG2 W2 H2 C420p10",
            "YUV4MPEG2 W2 H2 It",
            "YUV4MPEG2 Wx H2",
            "YUV4MPEG2 W2 H2 Fx",
        ] {
            let data = stream(h, &[]);
            assert!(
                matches!(Y4mReader::new(&data[..]), Err(Y4mError::Header(_))),
                "{h:?}"
            );
        }
        assert!(Y4mReader::new(&b""[..]).is_err());
        assert!(Y4mReader::new(&b"YUV4MPEG2 W2 H2"[..]).is_err()); // no newline
        let long = format!("YUV4MPEG2 W2 H2 X{}", "a".repeat(5000));
        assert!(Y4mReader::new(long.as_bytes()).is_err());
        // Truncated luma, truncated chroma, a bad frame marker.
        for (data, want_truncated) in [
            (stream("YUV4MPEG2 W2 H2 Cmono", &[&[1, 2, 3]]), true),
            (stream("YUV4MPEG2 W2 H2 C420", &[&[1, 2, 3, 4, 5]]), true),
            (b"YUV4MPEG2 W2 H2 Cmono\nFRAMX\n1234".to_vec(), false),
            (b"YUV4MPEG2 W2 H2 Cmono\nFRA".to_vec(), false),
        ] {
            let mut r = Y4mReader::new(&data[..]).unwrap();
            let e = r.next_frame().unwrap_err();
            assert_eq!(
                matches!(e, Y4mError::Truncated { .. }),
                want_truncated,
                "{e}"
            );
        }
    }
}
