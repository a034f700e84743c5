//! Turning text into token ids: words like Keras' `TextVectorization`
//! defaults (lowercase, punctuation stripped, whitespace split, the most
//! frequent words, index 0 = padding, 1 = `[UNK]`), or characters for the LSTM.

use std::collections::HashMap;

/// The punctuation Keras' `lower_and_strip_punctuation` removes.
const PUNCTUATION: &str = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'";

/// Padding id (empty string) and unknown-word id.
pub const PAD: u32 = 0;
pub const UNKNOWN: u32 = 1;

/// Lowercased, punctuation stripped.
pub fn standardize(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| !PUNCTUATION.contains(*c))
        .collect()
}

/// The words of a text after standardisation.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    standardize(text)
        .split_whitespace()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// A word vocabulary: id → word and back.
#[derive(Clone, Debug, PartialEq)]
pub struct WordVocab {
    pub words: Vec<String>,
    index: HashMap<String, u32>,
}

impl WordVocab {
    /// The `max_tokens` most frequent words (ties: alphabetical), after `""` and `[UNK]`.
    pub fn build<'a>(documents: impl IntoIterator<Item = &'a String>, max_tokens: usize) -> Self {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for doc in documents {
            for word in words(doc) {
                *counts.entry(word).or_default() += 1;
            }
        }
        let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut list = vec![String::new(), "[UNK]".to_owned()];
        list.extend(
            ranked
                .into_iter()
                .map(|(w, _)| w)
                .take(max_tokens.saturating_sub(2)),
        );
        Self::from_words(list)
    }

    /// A vocabulary from its word list (loading a saved one).
    pub fn from_words(words: Vec<String>) -> Self {
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        Self { words, index }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Ids of a text's words (`[UNK]` for words not in the vocabulary).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        words(text)
            .map(|w| self.index.get(&w).copied().unwrap_or(UNKNOWN))
            .collect()
    }

    pub fn word(&self, id: u32) -> &str {
        self.words.get(id as usize).map_or("[UNK]", String::as_str)
    }
}

/// The characters of a corpus (lowercased, as the 1st edition), sorted.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CharVocab {
    pub chars: Vec<char>,
}

impl CharVocab {
    pub fn build(text: &str) -> Self {
        let mut chars: Vec<char> = text
            .chars()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        chars.dedup();
        Self { chars }
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Ids of a text's characters; characters not in the set are dropped.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        text.chars()
            .filter_map(|c| self.chars.binary_search(&c).ok())
            .map(|i| u32::try_from(i).unwrap_or(0))
            .collect()
    }

    pub fn char(&self, id: u32) -> char {
        self.chars.get(id as usize).copied().unwrap_or(' ')
    }
}

/// The 1st edition's text: all documents lowercased and joined by newlines.
pub fn char_text(documents: &[String]) -> String {
    documents.join("\n").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_standardised_like_keras() {
        assert_eq!(
            standardize("It's a GREAT, great film!"),
            "its a great great film"
        );
        let docs = vec!["The film, the FILM!".to_owned(), "a film?".to_owned()];
        let vocab = WordVocab::build(&docs, 15_000);
        // film ×3, the ×2, a ×1 — by count, then alphabetically.
        assert_eq!(vocab.words, ["", "[UNK]", "film", "the", "a"]);
        assert_eq!(
            vocab.encode("The film of a dog"),
            [3, 2, UNKNOWN, 4, UNKNOWN]
        );
        let small = WordVocab::build(&docs, 3);
        assert_eq!(small.words, ["", "[UNK]", "film"]);
    }

    #[test]
    fn characters_are_sorted_and_unknown_ones_dropped() {
        let vocab = CharVocab::build("hello world");
        assert_eq!(vocab.chars, [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
        assert_eq!(vocab.encode("hold!"), [3, 5, 4, 1]);
        assert_eq!(vocab.char(3), 'h');
    }
}
