//! Text for the standard Helvetica fonts: WinAnsi (cp1252) bytes, glyph widths, line wrapping.

/// One of the two standard fonts the document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

impl Font {
    /// Advance width of WinAnsi byte `b`, in 1/1000 em.
    fn advance(self, b: u8) -> u16 {
        let table = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        // Bytes below 0x20 are never produced by `winansi`.
        table[usize::from(b.max(0x20)) - 0x20]
    }
}

/// Helvetica's advance widths for WinAnsi bytes 0x20–0xFF (Adobe's AFM metrics; 0 for the
/// six code points cp1252 leaves undefined, which `winansi` never produces).
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];

/// Helvetica-Bold's, likewise.
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

/// cp1252's characters at 0x80–0x9F (`'\0'`: undefined).
const CP1252_80: [char; 32] = [
    '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', //
    '\0', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
];

/// `c` in WinAnsiEncoding (cp1252); what it cannot encode becomes `?`.
fn winansi_char(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        // French typography's narrow no-break space (before « ; : ! ? ») stays unbreakable.
        '\u{202f}' => 0xa0,
        '\t' | '\u{2009}' => b' ',
        _ => CP1252_80.iter().position(|&h| h == c && h != '\0').map_or(b'?', |i| 0x80 + i as u8),
    }
}

/// `s` in WinAnsiEncoding (cp1252); what it cannot encode becomes `?`.
pub fn winansi(s: &str) -> Vec<u8> {
    s.chars().map(winansi_char).collect()
}

/// Width of WinAnsi `bytes` in `font` at `size` points.
pub fn width(bytes: &[u8], font: Font, size: f32) -> f32 {
    let em: u32 = bytes.iter().map(|&b| u32::from(font.advance(b))).sum();
    em as f32 * size / 1000.0
}

/// `s` in WinAnsi, cut into lines no wider than `max` points: at spaces (but not before
/// French high punctuation `; : ! ? »` nor after `«`), at line breaks (`\n`, `\r\n`), and
/// inside a word only when the word alone is wider than a line. Linear in the length of
/// `s`, whatever it holds.
pub fn wrap(s: &str, font: Font, size: f32, max: f32) -> Vec<Vec<u8>> {
    let em_max = max * 1000.0 / size;
    let space = f32::from(font.advance(b' '));
    let mut lines = Vec::new();
    for paragraph in s.split('\n') {
        // The units a line may not be cut inside.
        let mut words: Vec<Vec<u8>> = Vec::new();
        for word in paragraph.trim_end_matches('\r').split(' ').filter(|w| !w.is_empty()) {
            let word = winansi(word);
            let glued = words.last().is_some_and(|w| w.ends_with(b"\xab"))
                || matches!(word.first(), Some(b';' | b':' | b'!' | b'?' | b'\xbb'));
            match words.last_mut() {
                Some(last) if glued => {
                    last.push(b' ');
                    last.extend(word);
                }
                _ => words.push(word),
            }
        }
        let (mut line, mut line_em): (Vec<u8>, f32) = (Vec::new(), 0.0);
        for word in words {
            let word_em: f32 = word.iter().map(|&b| f32::from(font.advance(b))).sum();
            if !line.is_empty() && line_em + space + word_em <= em_max {
                line.push(b' ');
                line.extend(&word);
                line_em += space + word_em;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A new line starts with the word, cut where it must be.
            line_em = 0.0;
            for b in word {
                let w = f32::from(font.advance(b));
                if !line.is_empty() && line_em + w > em_max {
                    lines.push(std::mem::take(&mut line));
                    line_em = 0.0;
                }
                line.push(b);
                line_em += w;
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_encodes_to_winansi() {
        assert_eq!(winansi("é à ç œ « » – € ’ …"), b"\xe9 \xe0 \xe7 \x9c \xab \xbb \x96 \x80 \x92 \x85");
        assert_eq!(winansi("Ω\u{301}"), b"??");
        assert_eq!(winansi("a\u{202f}:"), b"a\xa0:");
    }

    #[test]
    fn widths_are_helvetica_s() {
        // "Vol" = 667 + 556 + 222 in Helvetica; bold "é" is 556, bold "W" 944.
        assert_eq!(width(b"Vol", Font::Regular, 10.0), 14.45);
        assert_eq!(width(b"\xe9W", Font::Bold, 1000.0), 1500.0);
    }

    #[test]
    fn long_text_wraps_within_the_width() {
        let text = "Vol à l'arraché d'un sac à main devant la bijouterie, auteur parti vers le port ".repeat(5);
        let lines = wrap(&text, Font::Regular, 10.0, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| width(l, Font::Regular, 10.0) <= 200.0));
        let joined: Vec<u8> = lines.join(&b' ');
        assert_eq!(joined, winansi(text.trim_end()));
        // No line starts with « ; » nor ends with « «.
        let french = wrap(&"secret de l'enquête ; « le secret » ".repeat(20), Font::Regular, 8.5, 140.0);
        assert!(french.iter().all(|l| !l.starts_with(b";") && !l.starts_with(b"\xbb") && !l.ends_with(b"\xab")));
        // A word longer than a line is cut; line breaks are kept.
        let long = wrap(&format!("{}\r\nfin", "x".repeat(100)), Font::Bold, 10.0, 100.0);
        assert_eq!(long.len(), 7, "{long:?}"); // 17 bold x (5.56 pt each) a line, then "fin"
        assert_eq!(long.last().unwrap(), b"fin");
        assert!(long.iter().all(|l| width(l, Font::Bold, 10.0) <= 100.0));
    }
}
