//! Text for the standard Helvetica fonts: WinAnsi bytes, widths, line wrapping.

/// `s` in WinAnsiEncoding (cp1252); what it cannot encode becomes `?`.
pub fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'Œ' => 0x8c,
            'œ' => 0x9c,
            'Ÿ' => 0x9f,
            '\u{202f}' | '\u{2009}' => b' ',
            _ => b'?',
        })
        .collect()
}

/// Helvetica advance widths (1/1000 em) of the ASCII letters, digits and signs (AFM);
/// accented letters take their base letter's.
fn width_of(b: u8) -> u32 {
    match b {
        b' ' | b'.' | b',' | b':' | b';' | b'!' | b'/' | b'f' | b't' | b'I' | b'[' | b']' | b'\\' => 278,
        b'i' | b'j' | b'l' | b'\'' | 0x91 | 0x92 => 222,
        b'r' | b'(' | b')' | b'-' | b'`' | 0x96 => 333,
        b'"' => 355,
        b'c' | b'k' | b's' | b'v' | b'x' | b'y' | b'z' | b'J' => 500,
        b'm' | b'M' => 833,
        b'w' | b'C' | b'D' | b'H' | b'N' | b'R' | b'U' => 722,
        b'W' => 944,
        b'A' | b'B' | b'E' | b'K' | b'P' | b'S' | b'V' | b'X' | b'Y' => 667,
        b'F' | b'T' | b'Z' => 611,
        b'G' | b'O' | b'Q' => 778,
        b'L' => 556,
        b'@' => 1015,
        b'%' => 889,
        0x97 => 1000,
        0x85 => 1000,
        0xb0 => 400,
        0xe0..=0xe5 | 0xe8..=0xeb | 0xf2..=0xf6 | 0xf9..=0xfc | 0xab | 0xbb | 0x80 => 556,
        0xe7 => 500,
        0xec..=0xef => 278,
        0xc0..=0xc5 | 0xc8..=0xcb => 667,
        0xc7 | 0xd9..=0xdc => 722,
        0xce | 0xcf => 278,
        0xd4 | 0xd6 => 778,
        0x9c => 944,
        0x8c => 1000,
        _ => 556,
    }
}

/// Width of WinAnsi `bytes` at `size` points (bold is about 6 % wider).
pub fn width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let w: u32 = bytes.iter().map(|b| width_of(*b)).sum();
    w as f32 * size / 1000.0 * if bold { 1.06 } else { 1.0 }
}

/// `s` cut into lines no wider than `max` points, at spaces (a word longer than a line
/// is cut where it must be).
pub fn wrap(s: &str, size: f32, bold: bool, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for paragraph in s.split('\n') {
        let mut line: Vec<u8> = Vec::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let mut w = winansi(word);
            let candidate_width = width(&line, size, bold) + width(b" ", size, bold) + width(&w, size, bold);
            if !line.is_empty() && candidate_width > max {
                lines.push(std::mem::take(&mut line));
            }
            while width(&w, size, bold) > max {
                let mut cut = w.len();
                while cut > 1 && width(&w[..cut], size, bold) > max {
                    cut -= 1;
                }
                lines.push(w[..cut].to_vec());
                w = w[cut..].to_vec();
            }
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend(w);
        }
        lines.push(line);
    }
    lines
}

/// `bytes` as a PDF literal string body (parentheses and backslashes escaped).
pub fn literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    for &b in bytes {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_encodes_to_winansi() {
        assert_eq!(winansi("é à ç œ « » – € ’"), b"\xe9 \xe0 \xe7 \x9c \xab \xbb \x96 \x80 \x92");
        assert_eq!(winansi("Ω"), b"?");
    }

    #[test]
    fn long_text_wraps_within_the_width() {
        let text = "Vol à l'arraché d'un sac à main devant la bijouterie, auteur parti en direction du port ".repeat(5);
        let lines = wrap(&text, 10.0, false, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| width(l, 10.0, false) <= 200.0));
        assert_eq!(literal(b"a(b)\\"), b"a\\(b\\)\\\\");
    }
}
