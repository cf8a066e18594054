//! French first, English second: every string of the UI is a pair, and the language
//! switch picks one. Messages from the shell already carry both ("… / …").

/// The UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Français (default).
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// `fr` or `en`, for the `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Picks the string of this language.
    pub fn t(self, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The part of a bilingual shell message (`"français / English"`) in this language.
    pub fn pick(self, message: &str) -> String {
        match message.split_once(" / ") {
            Some((fr, en)) => match self {
                Lang::Fr => fr.to_string(),
                Lang::En => en.to_string(),
            },
            None => message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_messages_split_by_language() {
        let m = "plateforme injoignable / platform unreachable: timeout";
        assert_eq!(Lang::Fr.pick(m), "plateforme injoignable");
        assert_eq!(Lang::En.pick(m), "platform unreachable: timeout");
        assert_eq!(Lang::En.pick("no separator"), "no separator");
    }
}
