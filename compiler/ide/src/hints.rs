//! Inlay hints: the inferred type after each local's name and after each module call's name
//! (its outputs as an abbreviated object type).

use skel_db::{Db, File};
use skel_syntax::{Item, TextRange};

use crate::hover::short_type;
use crate::InlayHint;

const MAX: usize = 80;

pub(crate) fn inlay_hints(db: &dyn Db, file: File, range: TextRange) -> Vec<InlayHint> {
    let parse = skel_db::parse(db, file);
    let mut out = Vec::new();
    for (index, top) in parse.file.items.iter().enumerate() {
        let abs = top.absolute_range();
        if abs.end() < range.start() || abs.start() > range.end() {
            continue;
        }
        let Item::Block(b) = &*top.item else {
            continue;
        };
        let index = index as u32;
        match (b.ident.name.as_str(), b.labels.as_slice()) {
            ("locals", []) => {
                for (i, item) in b.body.items.iter().enumerate() {
                    let Item::Attribute(a) = item else { continue };
                    let at = a.name.range.end() + top.offset;
                    if range.contains_inclusive(at) {
                        let ty = skel_types::local_type(db, file, index, i as u32);
                        out.push(InlayHint {
                            offset: at,
                            label: format!(": {}", short_type(&ty, MAX)),
                        });
                    }
                }
            }
            ("module", [name]) => {
                let at = name.range.end() + top.offset;
                if range.contains_inclusive(at) {
                    let ty = skel_types::module_call_type(db, file, index);
                    out.push(InlayHint {
                        offset: at,
                        label: format!(": {}", short_type(&ty, MAX)),
                    });
                }
            }
            _ => {}
        }
    }
    out
}
