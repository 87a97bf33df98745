//! IP network functions: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use skel_value::{Type, Value};

use crate::util::{func, int_arg, p, ret_list_string, ret_string, str_arg, varfunc};
use crate::{CallError, Function};

/// A network as integer arithmetic: its first address, prefix length and address width.
#[derive(Clone, Copy)]
struct Net {
    addr: u128,
    len: u32,
    bits: u32,
}

impl Net {
    fn parse(text: &str) -> Result<Net, CallError> {
        let net: IpNet = text
            .parse()
            .map_err(|_| CallError::at(0, format!("invalid CIDR expression: {text:?}")))?;
        let (addr, bits) = match net.network() {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        Ok(Net {
            addr,
            len: u32::from(net.prefix_len()),
            bits,
        })
    }

    fn host_mask(len: u32, bits: u32) -> u128 {
        let host = bits - len;
        if host >= 128 {
            u128::MAX
        } else {
            (1u128 << host) - 1
        }
    }

    fn max(bits: u32) -> u128 {
        Net::host_mask(0, bits)
    }

    fn ip(addr: u128, bits: u32) -> String {
        if bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }

    fn show(self) -> String {
        format!("{}/{}", Net::ip(self.addr, self.bits), self.len)
    }

    fn contains(self, addr: u128) -> bool {
        addr & !Net::host_mask(self.len, self.bits) == self.addr
    }
}

fn cidrsubnet(prefix: &str, newbits: i64, netnum: i64) -> Result<String, CallError> {
    let net = Net::parse(prefix)?;
    if newbits < 0 || net.len as i64 + newbits > net.bits as i64 {
        return Err(CallError::at(
            1,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                net.len
            ),
        ));
    }
    let newlen = net.len + newbits as u32;
    if netnum < 0 || (newbits < 127 && netnum as u128 >= (1u128 << newbits)) {
        return Err(CallError::at(
            2,
            format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            ),
        ));
    }
    let shift = net.bits - newlen;
    let offset = if shift >= 128 {
        0
    } else {
        (netnum as u128) << shift
    };
    Ok(Net {
        addr: net.addr | offset,
        len: newlen,
        bits: net.bits,
    }
    .show())
}

fn cidrhost(prefix: &str, hostnum: i64) -> Result<String, CallError> {
    let net = Net::parse(prefix)?;
    let size = Net::host_mask(net.len, net.bits);
    let fail = || {
        CallError::at(
            1,
            format!(
                "prefix of {} bits cannot accommodate a host numbered {hostnum}",
                net.len
            ),
        )
    };
    let offset = if hostnum >= 0 {
        let h = hostnum as u128;
        if h > size {
            return Err(fail());
        }
        h
    } else {
        let back = hostnum.unsigned_abs() as u128;
        if back - 1 > size {
            return Err(fail());
        }
        size - (back - 1)
    };
    Ok(Net::ip(net.addr + offset, net.bits))
}

fn cidrsubnets(prefix: &str, newbits: &[i64]) -> Result<Vec<String>, CallError> {
    let net = Net::parse(prefix)?;
    let Some(&first) = newbits.first() else {
        return Ok(Vec::new());
    };
    let mask_of = |len: u32| !Net::host_mask(len, net.bits) & Net::max(net.bits);
    // The subnet right before the network, at the first requested size (go-cidr PreviousSubnet).
    let first_len = net.len as i64 + first;
    if first < 1 || first_len > net.bits as i64 {
        return Err(CallError::at(1, format!("would extend prefix to {first_len} bits, which is too long for this address family")));
    }
    let mut cur_addr = net.addr.wrapping_sub(1) & Net::max(net.bits) & mask_of(first_len as u32);
    let mut cur_len = first_len as u32;
    let mut out = Vec::new();
    for (i, &nb) in newbits.iter().enumerate() {
        let len = net.len as i64 + nb;
        if nb < 1 || len > net.bits as i64 {
            return Err(CallError::at(
                i + 1,
                format!(
                    "would extend prefix to {len} bits, which is too long for this address family"
                ),
            ));
        }
        let len = len as u32;
        // go-cidr NextSubnet: the subnet after the one containing the current subnet's last address.
        let cur_last = cur_addr | Net::host_mask(cur_len, net.bits);
        let containing_last = (cur_last & mask_of(len)) | Net::host_mask(len, net.bits);
        let rollover = containing_last == Net::max(net.bits);
        let next = containing_last.wrapping_add(1) & Net::max(net.bits) & mask_of(len);
        if rollover || !net.contains(next) {
            return Err(CallError::at(i + 1, format!(
                "not enough remaining address space for a subnet with a prefix of {len} bits after {}",
                Net { addr: cur_addr, len: cur_len, bits: net.bits }.show()
            )));
        }
        cur_addr = next;
        cur_len = len;
        out.push(
            Net {
                addr: next,
                len,
                bits: net.bits,
            }
            .show(),
        );
    }
    Ok(out)
}

pub(crate) fn functions() -> Vec<Function> {
    let s = || Type::String;
    let n = || Type::Number;
    vec![
        func(
            "cidrhost",
            "Calculates a full host IP address for a host number within a CIDR prefix.",
            vec![p("prefix", s()), p("hostnum", n())],
            ret_string,
            |a, _| cidrhost(str_arg(a, 0)?, int_arg(a, 1)?).map(Value::String),
        ),
        func(
            "cidrnetmask",
            "Converts an IPv4 CIDR prefix to a subnet mask address.",
            vec![p("prefix", s())],
            ret_string,
            |a, _| {
                let net = Net::parse(str_arg(a, 0)?)?;
                if net.bits != 32 {
                    return Err(CallError::at(0, "only IPv4 networks are supported"));
                }
                let mask = !Net::host_mask(net.len, 32) & Net::max(32);
                Ok(Value::String(Net::ip(mask, 32)))
            },
        ),
        func(
            "cidrsubnet",
            "Calculates a subnet address within a CIDR prefix.",
            vec![p("prefix", s()), p("newbits", n()), p("netnum", n())],
            ret_string,
            |a, _| cidrsubnet(str_arg(a, 0)?, int_arg(a, 1)?, int_arg(a, 2)?).map(Value::String),
        ),
        varfunc(
            "cidrsubnets",
            "Calculates a sequence of consecutive subnets within a CIDR prefix.",
            vec![p("prefix", s())],
            p("newbits", n()),
            ret_list_string,
            |a, _| {
                let bits: Vec<i64> = (1..a.len())
                    .map(|i| int_arg(a, i))
                    .collect::<Result<_, _>>()?;
                cidrsubnets(str_arg(a, 0)?, &bits)
                    .map(|v| Value::List(v.into_iter().map(Value::String).collect()))
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, s};
    use skel_value::Value;

    fn n(v: i64) -> Value {
        Value::number(v)
    }

    #[test]
    fn host_and_netmask() {
        assert_eq!(
            call("cidrhost", &[s("10.12.112.0/20"), n(16)]),
            Ok(s("10.12.112.16"))
        );
        assert_eq!(
            call("cidrhost", &[s("10.12.112.0/20"), n(268)]),
            Ok(s("10.12.113.12"))
        );
        assert_eq!(
            call("cidrhost", &[s("10.0.0.0/24"), n(-1)]),
            Ok(s("10.0.0.255"))
        );
        assert_eq!(
            call("cidrhost", &[s("fd00:fd12:3456:7890:00a2::/72"), n(34)]),
            Ok(s("fd00:fd12:3456:7890::22"))
        );
        assert!(call("cidrhost", &[s("10.0.0.0/24"), n(256)]).is_err());
        assert!(call("cidrhost", &[s("10.0.0.0/24"), n(-257)]).is_err());
        assert!(call("cidrhost", &[s("nope"), n(1)]).is_err());
        assert_eq!(
            call("cidrnetmask", &[s("172.16.0.0/12")]),
            Ok(s("255.240.0.0"))
        );
        assert_eq!(call("cidrnetmask", &[s("10.0.0.0/0")]), Ok(s("0.0.0.0")));
        assert!(call("cidrnetmask", &[s("::/64")]).is_err());
    }

    #[test]
    fn subnet() {
        assert_eq!(
            call("cidrsubnet", &[s("172.16.0.0/12"), n(4), n(2)]),
            Ok(s("172.18.0.0/16"))
        );
        assert_eq!(
            call("cidrsubnet", &[s("10.1.2.0/24"), n(4), n(15)]),
            Ok(s("10.1.2.240/28"))
        );
        assert_eq!(
            call(
                "cidrsubnet",
                &[s("fd00:fd12:3456:7890::/56"), n(16), n(162)]
            ),
            Ok(s("fd00:fd12:3456:7800:a200::/72"))
        );
        assert!(call("cidrsubnet", &[s("10.0.0.0/24"), n(4), n(16)]).is_err());
        assert!(call("cidrsubnet", &[s("10.0.0.0/24"), n(9), n(0)]).is_err());
        assert!(call("cidrsubnet", &[s("10.0.0.0/24"), n(-1), n(0)]).is_err());
    }

    #[test]
    fn subnets() {
        let list = |items: &[&str]| Value::List(items.iter().map(|i| s(i)).collect());
        assert_eq!(
            call("cidrsubnets", &[s("10.1.0.0/16"), n(4), n(4), n(8), n(4)]),
            Ok(list(&[
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]))
        );
        assert_eq!(
            call(
                "cidrsubnets",
                &[s("fd00:fd12:3456:7890::/56"), n(16), n(16), n(16), n(32)]
            ),
            Ok(list(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88"
            ]))
        );
        assert!(call("cidrsubnets", &[s("10.0.0.0/30"), n(1), n(1), n(1)]).is_err());
        assert!(call("cidrsubnets", &[s("10.0.0.0/30"), n(3)]).is_err());
        assert_eq!(call("cidrsubnets", &[s("10.0.0.0/8")]), Ok(list(&[])));
    }
}
