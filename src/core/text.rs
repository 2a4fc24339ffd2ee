//! Text from outside, cut safely: by bytes, but only on character boundaries (a byte cut through
//! a multibyte UTF-8 character panics in `String::truncate` and `&s[..n]`).
//!
//! Owns nothing: plain functions.

/// The longest prefix of `text` that is at most `max_bytes` bytes and ends on a character
/// boundary.
pub fn clip(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut cut = max_bytes;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.get(..cut).unwrap_or_default()
}

/// `text` if it fits in `max_bytes` bytes, else its longest prefix that fits with "…" after it
/// (the result is never longer than `max_bytes`, and never empty of the ellipsis when cut).
pub fn shorten(text: &str, max_bytes: usize) -> String {
    const ELLIPSIS: &str = "…";
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let head = clip(text, max_bytes.saturating_sub(ELLIPSIS.len()));
    if head.len() + ELLIPSIS.len() > max_bytes {
        return clip(text, max_bytes).to_owned();
    }
    format!("{head}{ELLIPSIS}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_never_splits_a_character() {
        let text = "é".repeat(60);
        for max in 0..=text.len() + 2 {
            let c = clip(&text, max);
            assert!(c.len() <= max);
            assert!(c.len() + 1 >= max.min(text.len()), "as long as possible");
            assert!(text.starts_with(c));
        }
        assert_eq!(clip("abc", 2), "ab");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("€", 2), "");
    }

    #[test]
    fn shorten_marks_the_cut_and_keeps_the_limit() {
        assert_eq!(shorten("short", 50), "short");
        let long = "ü".repeat(100);
        let s = shorten(&long, 50);
        assert!(s.len() <= 50 && s.ends_with('…'), "{s}");
        assert_eq!(s.chars().count(), 24, "23 ü and the ellipsis");
        assert_eq!(shorten("abcdef", 2), "ab", "no room for the ellipsis");
        for max in 0..20 {
            assert!(shorten("日本語のテキスト", max).len() <= max);
        }
    }
}
