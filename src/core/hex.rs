//! Bytes as hex text and back: how recordings, fixtures, probe reports and the CLI show SIYI
//! frames (`55 66 01 …`).
//!
//! Owns nothing: plain functions.

#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum HexError {
    /// The digits (after removing spaces, commas, colons and `0x`) do not pair up.
    #[error("odd number of hex digits ({digits})")]
    OddDigits {
        /// How many digits there are.
        digits: usize,
    },
    /// Two characters that are not a hex byte.
    #[error("not a hex byte: {pair:?} at digit {at}")]
    NotHex {
        /// The two characters.
        pair: String,
        /// Their position among the digits, from 0.
        at: usize,
    },
}

/// Why a line of a recording is not a traffic line.
/// Parses hex text (`"55 66 01"`, `"556601"`, `"0x55, 0x66"`) into bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let cleaned: String = text
        .replace("0x", "")
        .replace("0X", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != ':')
        .collect();
    if !cleaned.len().is_multiple_of(2) {
        return Err(HexError::OddDigits {
            digits: cleaned.len(),
        });
    }
    (0..cleaned.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&cleaned[i..i + 2], 16).map_err(|_| HexError::NotHex {
                pair: cleaned[i..i + 2].to_owned(),
                at: i,
            })
        })
        .collect()
}

/// Formats bytes as lowercase hex pairs separated by spaces (`55 66 01`).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}
