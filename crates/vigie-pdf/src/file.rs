//! The PDF file around the pages (its objects written with `pdf-writer`, the content
//! streams here), and finding the attached proof in a file written here.
//!
//! Objects, always in this order: 1 catalog (its `/Names /EmbeddedFiles` tree lists the
//! proof), 2 page tree, 3 Helvetica, 4 Helvetica-Bold (both WinAnsi), 5 the proof's file
//! specification, 6 the proof itself (an embedded file stream, uncompressed), 7 the
//! document information (title and producer, no date), then each page and its content
//! stream. The embedded file comes before any page, so the first `/Type /EmbeddedFile` in
//! the file is the proof's whatever the pages say.

use pdf_writer::types::PageMode;
use pdf_writer::{Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::layout::{Op, LEFT, PAGE_H, PAGE_W, RIGHT};
use crate::text::Font;

const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const HELVETICA: Ref = Ref::new(3);
const HELVETICA_BOLD: Ref = Ref::new(4);
const FILE_SPEC: Ref = Ref::new(5);
const EMBEDDED: Ref = Ref::new(6);
const INFO: Ref = Ref::new(7);
const FIRST_PAGE: i32 = 8;

/// What `/Producer` says: a change of layout changes this number, so that a later
/// version can tell which rendering a file came from.
const PRODUCER: &str = "Vigie (vigie-pdf, mise en page 1)";

/// A number as the content stream writes it: two decimals, enough for 1/100 pt.
fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// A page's content stream. Written here rather than with `pdf_writer::Content`, which
/// writes any string with a byte above 0x7F in hex: as literal WinAnsi strings, the
/// printed words stay findable in the file's bytes.
fn content(ops: &[Op]) -> Vec<u8> {
    let mut c = b"0.5 w\n".to_vec();
    for op in ops {
        match op {
            Op::Text { x, y, font, size, bytes } => {
                let font = if *font == Font::Bold { "F2" } else { "F1" };
                c.extend(format!("BT /{font} {} Tf {} {} Td (", num(*size), num(*x), num(*y)).as_bytes());
                for &b in bytes {
                    if matches!(b, b'(' | b')' | b'\\') {
                        c.push(b'\\');
                    }
                    c.push(b);
                }
                c.extend(b") Tj ET\n");
            }
            Op::Modules { x, y, module, runs } => {
                // In module units: whole numbers, a few bytes a run.
                c.extend(
                    format!("q {m} 0 0 {m} {} {} cm\n", num(*x), num(*y), m = format_args!("{module:.4}")).as_bytes(),
                );
                for [col, row, len] in runs {
                    c.extend(format!("{col} {row} {len} 1 re\n").as_bytes());
                }
                c.extend(b"f Q\n");
            }
            Op::Frame([x, y, w, h]) => {
                c.extend(format!("{} {} {} {} re S\n", num(*x), num(*y), num(*w), num(*h)).as_bytes());
            }
            Op::Rule(y) => {
                c.extend(format!("{} {y} m {} {y} l S\n", num(LEFT), num(RIGHT), y = num(*y)).as_bytes());
            }
        }
    }
    c
}

/// The whole file: `pages`, `json` attached as [`crate::ATTACHMENT`], `title` in the
/// document information, and an `/ID` made of the document's `digest`.
pub fn write(pages: &[Vec<Op>], json: &[u8], title: &str, digest: &[u8; 32]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let page_refs: Vec<Ref> = (0..pages.len() as i32).map(|i| Ref::new(FIRST_PAGE + 2 * i)).collect();

    let mut catalog = pdf.catalog(CATALOG);
    catalog.pages(PAGE_TREE).page_mode(PageMode::UseAttachments).lang(TextStr("fr"));
    catalog.names().embedded_files().names().insert(Str(crate::ATTACHMENT.as_bytes()), FILE_SPEC);
    catalog.finish();
    pdf.pages(PAGE_TREE).kids(page_refs.iter().copied()).count(pages.len() as i32);
    pdf.type1_font(HELVETICA).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(HELVETICA_BOLD).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.file_spec(FILE_SPEC)
        .path(Str(crate::ATTACHMENT.as_bytes()))
        .unic_file(TextStr(crate::ATTACHMENT))
        .description(TextStr("Preuve de signature Vigie (document signé, signatures, clés)"))
        .embedded_file_with_unicode(EMBEDDED);
    pdf.embedded_file(EMBEDDED, json).subtype(Name(b"application/json"));
    pdf.document_info(INFO).title(TextStr(title)).producer(TextStr(PRODUCER));

    for (page_ref, ops) in page_refs.iter().zip(pages) {
        let content_ref = Ref::new(page_ref.get() + 1);
        let mut page = pdf.page(*page_ref);
        page.parent(PAGE_TREE).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(content_ref);
        page.resources().fonts().pair(Name(b"F1"), HELVETICA).pair(Name(b"F2"), HELVETICA_BOLD);
        page.finish();
        let bytes = content(ops);
        pdf.stream(content_ref, &bytes);
    }
    let id = digest[..16].to_vec();
    pdf.set_file_id((id.clone(), id));
    pdf.finish()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The attached proof's bytes, in a file [`write`] produced: the first embedded file
/// stream, by its dictionary's `/Length`. `None` if there is none that reads.
pub fn attachment(pdf: &[u8]) -> Option<&[u8]> {
    let marker = find(pdf, b"/Type /EmbeddedFile")?;
    let dict_start = pdf[..marker].windows(2).rposition(|w| w == b"<<")?;
    let dict_end = marker + find(&pdf[marker..], b">>\nstream\n")?;
    let dict = &pdf[dict_start..dict_end];
    let length_at = find(dict, b"/Length ")? + b"/Length ".len();
    let digits = dict[length_at..].iter().take_while(|b| b.is_ascii_digit()).count();
    let length: usize = std::str::from_utf8(&dict[length_at..length_at + digits]).ok()?.parse().ok()?;
    let data_start = dict_end + b">>\nstream\n".len();
    let data = pdf.get(data_start..data_start.checked_add(length)?)?;
    pdf[data_start + length..].starts_with(b"\nendstream").then_some(data)
}
