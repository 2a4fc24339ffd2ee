//! Bytes as hex text and back: how recordings, fixtures, probe reports and the CLI show SIYI
//! frames (`55 66 01 …`).
//!
//! Owns nothing: plain functions.

/// Why hex text is not bytes.
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

/// Parses hex text (`"55 66 01"`, `"556601"`, `"0x55, 0x66"`) into bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let digits: Vec<char> = text
        .replace("0x", "")
        .replace("0X", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != ':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddDigits {
            digits: digits.len(),
        });
    }
    digits
        .chunks_exact(2)
        .enumerate()
        .map(|(i, pair)| {
            let pair: String = pair.iter().collect();
            u8::from_str_radix(&pair, 16).map_err(|_| HexError::NotHex { pair, at: i * 2 })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(parse_hex("55 66 01"), Ok(vec![0x55, 0x66, 0x01]));
        assert_eq!(parse_hex("0x55, 0X66:01"), Ok(vec![0x55, 0x66, 0x01]));
        assert_eq!(parse_hex(""), Ok(vec![]));
        assert_eq!(to_hex(&[0x55, 0x0a]), "55 0a");
    }

    #[test]
    fn multibyte_input_is_an_error_not_a_panic() {
        assert_eq!(
            parse_hex("€€"),
            Err(HexError::NotHex {
                pair: "€€".into(),
                at: 0
            })
        );
        assert_eq!(
            parse_hex("55５５"),
            Err(HexError::NotHex {
                pair: "５５".into(),
                at: 2
            })
        );
        assert_eq!(parse_hex("５"), Err(HexError::OddDigits { digits: 1 }));
        assert_eq!(
            parse_hex("5é"),
            Err(HexError::NotHex {
                pair: "5é".into(),
                at: 0
            })
        );
    }
}
