//! The people of the story and their made-up phone numbers (a reserved-looking +91 98765 000xx
//! range, nobody's real phone). They go in; they must never come out: not in an event, not in a
//! function's log line.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    pub id: &'static str,
    pub phone: &'static str,
}

pub const CUSTOMER_1: Person = Person {
    id: "C-1",
    phone: "+919876500001",
};
pub const AGENT_D7: Person = Person {
    id: "D-7",
    phone: "+919876500002",
};
pub const CUSTOMER_2: Person = Person {
    id: "C-2",
    phone: "+919876500003",
};
pub const CUSTOMER_3: Person = Person {
    id: "C-3",
    phone: "+919876500004",
};
pub const AGENT_D9: Person = Person {
    id: "D-9",
    phone: "+919876500005",
};
/// The order driven entirely through `/v1/sessions`: its customer and its two agents.
pub const CUSTOMER_6: Person = Person {
    id: "C-6",
    phone: "+919876500006",
};
pub const AGENT_D11: Person = Person {
    id: "D-11",
    phone: "+919876500007",
};
pub const AGENT_D12: Person = Person {
    id: "D-12",
    phone: "+919876500008",
};
/// The home-services order with one number for both parties (`pair_mode: single`).
pub const CUSTOMER_7: Person = Person {
    id: "C-7",
    phone: "+919876500009",
};
pub const AGENT_D13: Person = Person {
    id: "D-13",
    phone: "+919876500010",
};
/// The order whose forwarded leg fails and is tried again from the backup number.
pub const CUSTOMER_8: Person = Person {
    id: "C-8",
    phone: "+919876500011",
};
pub const AGENT_D14: Person = Person {
    id: "D-14",
    phone: "+919876500012",
};
/// Someone with no order, who dials a number anyway.
pub const STRANGER: Person = Person {
    id: "-",
    phone: "+919876500099",
};
/// A customer whose phone the order platform sent truncated: the one bad record of step f.
pub const CUSTOMER_5_TRUNCATED: Person = Person {
    id: "C-5",
    phone: "+91 98765",
};

/// Every real phone number of the story, for the leak checks.
pub const EVERYONE: [Person; 13] = [
    CUSTOMER_1, AGENT_D7, CUSTOMER_2, CUSTOMER_3, AGENT_D9, STRANGER, CUSTOMER_6, AGENT_D11,
    AGENT_D12, CUSTOMER_7, AGENT_D13, CUSTOMER_8, AGENT_D14,
];

impl Person {
    /// The ways the phone could show up in text: as given, and without its `+91` (as a national
    /// number, or as Plivo writes numbers, without the `+`).
    pub fn phone_forms(&self) -> [&'static str; 2] {
        [
            self.phone,
            self.phone.strip_prefix("+91").unwrap_or(self.phone),
        ]
    }
}
