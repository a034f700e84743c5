//! Settings structs that document themselves: [`documented!`] defines a
//! struct and, beside it, the `///` text of every field as a constant, so the
//! slider for a field shows exactly its doc comment as hover text
//! (`DreamSettings::DOCS.octaves`) and the words live in one place.

/// Defines `struct $name` as written and `$name::DOCS`, a `$docs` with one
/// `&'static str` per field holding that field's `///` text. Fields are `pub`
/// (settings are plain data); attributes other than doc comments go in
/// brackets without the `#` (`[serde(default)]`, `[config(default = 2)]`),
/// after the doc comment.
macro_rules! documented {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident, docs $docs:ident {
            $(
                $(#[doc = $doc:literal])*
                $([$attr:meta])*
                pub $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $(#[$attr])*
                pub $field: $ty,
            )*
        }

        #[doc = concat!("The `///` text of each field of [`", stringify!($name), "`].")]
        #[derive(Clone, Copy, Debug)]
        $vis struct $docs {
            $(pub $field: &'static str,)*
        }

        impl $name {
            /// Each field's doc comment: the hover text of its control.
            pub const DOCS: $docs = $docs {
                $($field: concat!($($doc),*).trim_ascii(),)*
            };
        }
    };
}

pub(crate) use documented;

#[cfg(test)]
mod tests {
    super::documented! {
        #[derive(Default, serde::Deserialize)]
        struct Example, docs ExampleDocs {
            /// First line
            /// and its second.
            [serde(default)]
            pub first: u32,
            pub undocumented: bool,
        }
    }

    #[test]
    fn each_field_carries_its_doc_text() {
        assert_eq!(Example::DOCS.first, "First line and its second.");
        assert_eq!(Example::DOCS.undocumented, "");
        // The bracketed attribute reached the field: `first` may be left out.
        let parsed: Example = serde_json::from_str(r#"{"undocumented": true}"#).unwrap();
        assert!(parsed.undocumented && parsed.first == 0);
    }
}
