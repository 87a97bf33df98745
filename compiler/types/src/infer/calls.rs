//! Inference of function calls against the stdlib signatures.

use skel_db::{did_you_mean, Code};
use skel_syntax::{Expr, Ident};
use skel_value::{conversion, Conversion, Type};

use super::InferCtx;

impl InferCtx<'_> {
    pub(super) fn call(
        &mut self,
        expr: &Expr,
        name: &Ident,
        args: &[Expr],
        expand_final: bool,
    ) -> Type {
        let Some(function) = skel_stdlib::lookup(&name.name) else {
            for arg in args {
                self.infer(arg);
            }
            self.error(
                Code::UnknownFunction,
                name.range,
                format!("Call to unknown function `{}`", name.name),
            )
            .help = did_you_mean(&name.name, skel_stdlib::all().iter().map(|f| f.name));
            return Type::Dynamic;
        };
        let catches = matches!(function.name, "try" | "can");
        if catches {
            self.in_try += 1;
        }
        let types: Vec<Type> = args.iter().map(|a| self.infer(a)).collect();
        if catches {
            self.in_try -= 1;
        }
        if expand_final {
            // The expanded list's length is not known statically: check the fixed arguments only.
            if let Some(last) = types.last() {
                if !matches!(
                    last,
                    Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Dynamic
                ) {
                    self.error(
                        Code::FunctionArgument,
                        args[args.len() - 1].range,
                        "Only a list, set or tuple can be expanded with `...`",
                    )
                    .with_span_message(format!("this is {last}"));
                }
            }
            return Type::Dynamic;
        }
        let min = function.params.len();
        let max = if function.variadic.is_some() {
            usize::MAX
        } else {
            min
        };
        if args.len() < min || args.len() > max {
            let expected = if max == usize::MAX {
                format!("at least {min}")
            } else {
                min.to_string()
            };
            let range = if args.len() > max {
                args[max].range.cover(args[args.len() - 1].range)
            } else {
                expr.range
            };
            self.error(
                Code::FunctionArity,
                range,
                format!("Wrong number of arguments to `{}`", function.name),
            )
            .with_span_message(format!("expected {expected}, found {}", args.len()))
            .help = Some(format!(
                "signature: {}",
                skel_stdlib::signature_string(function)
            ));
            return Type::Dynamic;
        }
        match skel_stdlib::check_call(function, &types) {
            Ok(ty) => {
                // Warn where a string literal argument silently becomes a number or bool.
                for (i, arg) in args.iter().enumerate() {
                    if let Some(param) = skel_stdlib::param_for(function, i) {
                        if matches!(param.ty, Type::Number | Type::Bool)
                            && conversion(&types[i], &param.ty) == Conversion::Unsafe
                        {
                            let what = format!("argument `{}`", param.name);
                            self.check_conversion(arg, &types[i], &param.ty.clone(), &what);
                        }
                    }
                }
                ty
            }
            Err(e) => {
                let range = e
                    .arg
                    .and_then(|i| args.get(i))
                    .map(|a| a.range)
                    .unwrap_or(expr.range);
                self.error(
                    Code::FunctionArgument,
                    range,
                    format!("Invalid argument to `{}`", function.name),
                )
                .with_span_message(e.message)
                .help = Some(format!(
                    "signature: {}",
                    skel_stdlib::signature_string(function)
                ));
                Type::Dynamic
            }
        }
    }
}
