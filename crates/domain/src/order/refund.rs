//! Refunds (design rule 7): money back per order line, never more than was paid.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::order::{EventType, Order};
use crate::values::text::bounded_text;
use crate::values::{Currency, EventId, InvalidValue, LineNo, Money, RefundId, Sku};

bounded_text!(
    /// The warehouse's or seller's own id for a refund. Sending the same reference again with
    /// the same lines is a harmless replay.
    RefundReference,
    "refund reference",
    64
);

/// Why money is refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundReason {
    /// The customer returned the items.
    CustomerReturn,
    /// The customer cancelled after paying.
    CustomerCancelled,
    /// The items arrived damaged or defective.
    Damaged,
    /// A price adjustment or goodwill credit.
    PriceAdjustment,
    /// Anything else.
    Other,
}

impl RefundReason {
    /// Every reason.
    pub const ALL: [Self; 5] = [
        Self::CustomerReturn,
        Self::CustomerCancelled,
        Self::Damaged,
        Self::PriceAdjustment,
        Self::Other,
    ];

    /// The snake-case name used in the API and in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerReturn => "customer_return",
            Self::CustomerCancelled => "customer_cancelled",
            Self::Damaged => "damaged",
            Self::PriceAdjustment => "price_adjustment",
            Self::Other => "other",
        }
    }

    /// Parses a name written by [`RefundReason::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `reason` otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "reason",
                expected: "one of customer_return, customer_cancelled, damaged, \
                           price_adjustment, other",
            })
    }
}

/// Money back for one order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLineRequest {
    /// The order line.
    pub line: LineNo,
    /// Units refunded; 0 for a money-only refund (a price adjustment).
    pub quantity: u32,
    /// The amount; more than zero, in the order's currency.
    pub amount: Money,
}

/// A refund as the warehouse or seller asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The caller's own id for the refund, for safe retries.
    pub reference: Option<RefundReference>,
    /// Why.
    pub reason: RefundReason,
    /// A free-text note.
    pub note: Option<String>,
    /// Per-line amounts; each line at most once.
    pub lines: Vec<RefundLineRequest>,
}

/// Money refunded for one order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    /// The order line.
    pub line: LineNo,
    /// That line's SKU.
    pub sku: Sku,
    /// Units refunded (may be 0).
    pub quantity: u32,
    /// The amount, in the order's currency.
    pub amount: Decimal,
}

/// One recorded refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub(crate) id: RefundId,
    pub(crate) reference: Option<RefundReference>,
    pub(crate) reason: RefundReason,
    pub(crate) note: Option<String>,
    pub(crate) lines: Vec<RefundLine>,
    pub(crate) created_at: DateTime<Utc>,
}

impl Refund {
    /// Rebuilds a stored refund (for stores).
    #[must_use]
    pub fn from_parts(
        id: RefundId,
        reference: Option<RefundReference>,
        reason: RefundReason,
        note: Option<String>,
        lines: Vec<RefundLine>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            reference,
            reason,
            note,
            lines,
            created_at,
        }
    }
    /// orderbridge's id.
    #[must_use]
    pub fn id(&self) -> RefundId {
        self.id
    }
    /// The caller's reference.
    #[must_use]
    pub fn reference(&self) -> Option<&RefundReference> {
        self.reference.as_ref()
    }
    /// Why.
    #[must_use]
    pub fn reason(&self) -> RefundReason {
        self.reason
    }
    /// The note.
    #[must_use]
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    /// Per-line amounts.
    #[must_use]
    pub fn lines(&self) -> &[RefundLine] {
        &self.lines
    }
    /// When it was recorded.
    #[must_use]
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// The refund's total.
    #[must_use]
    pub fn total(&self) -> Decimal {
        self.lines
            .iter()
            .fold(Decimal::ZERO, |sum, l| sum.saturating_add(l.amount))
    }
    /// A refund number for one of its lines that stays the same on every retry and is unique
    /// across orders: what marketplaces that take one refund per line (FeedAMP) are sent.
    #[must_use]
    pub fn number_for_line(&self, line: LineNo) -> String {
        format!("{}-{}", self.id.as_uuid().simple(), line.get())
    }
}

/// What recording a refund did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunded {
    /// A new refund was recorded.
    Created(RefundId),
    /// A refund with the same reference and lines was already recorded; nothing changed.
    Replayed(RefundId),
}

impl Refunded {
    /// The refund's id, new or existing.
    #[must_use]
    pub fn id(self) -> RefundId {
        match self {
            Self::Created(id) | Self::Replayed(id) => id,
        }
    }
}

/// Why a refund was refused. The order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// The request lists no lines.
    #[error("a refund needs at least one line")]
    NoLines,
    /// The order has no such line.
    #[error("the order has no line {0}")]
    UnknownLine(LineNo),
    /// A line is listed twice.
    #[error("line {0} is listed more than once")]
    DuplicateLine(LineNo),
    /// A line's amount is zero or negative.
    #[error("line {0}: amount must be more than zero")]
    AmountNotPositive(LineNo),
    /// An amount is not in the order's currency.
    #[error("amounts must be in the order's currency {expected}, not {found}")]
    CurrencyMismatch {
        /// The order's currency.
        expected: Currency,
        /// The currency given.
        found: Currency,
    },
    /// More units would be refunded on a line than were ordered.
    #[error(
        "line {line}: {requested} more units refunded would exceed the {ordered} ordered ({refunded} already refunded)"
    )]
    ExceedsQuantity {
        /// The line.
        line: LineNo,
        /// Units ordered.
        ordered: u32,
        /// Units refunded before.
        refunded: u32,
        /// Units in this request.
        requested: u32,
    },
    /// More money would be refunded than was paid for the order.
    #[error(
        "refunding {requested} more would exceed the {paid} paid ({refunded} already refunded)"
    )]
    ExceedsPaid {
        /// What was paid.
        paid: Decimal,
        /// Refunded before.
        refunded: Decimal,
        /// This request's total.
        requested: Decimal,
    },
    /// The reference is already used on this order for other lines or amounts.
    #[error("refund reference {0} is already used on this order with other lines")]
    ReferenceConflict(RefundReference),
    /// The order already has [`Order::MAX_CHILDREN`] refunds.
    #[error("the order already has {max} refunds, the most one order may have")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

impl Order {
    /// Records a refund, or recognises a replay of one already recorded under the same
    /// reference.
    ///
    /// # Errors
    /// [`RefundError`]; the order is left exactly as it was.
    pub fn refund(
        &mut self,
        request: &RefundRequest,
        id: RefundId,
        event_id: EventId,
        now: DateTime<Utc>,
    ) -> Result<Refunded, RefundError> {
        let lines = self.refund_lines(request)?;
        if let Some(replayed) = self.refund_replay(request.reference.as_ref(), &lines) {
            return replayed;
        }
        if self.refunds.len() >= Self::MAX_CHILDREN {
            return Err(RefundError::TooMany {
                max: Self::MAX_CHILDREN,
            });
        }
        self.check_refund_quantities(&lines)?;
        self.check_refund_paid(&lines)?;
        // Checked: nothing below can fail.
        self.apply_refund(request, lines, id, event_id, now);
        Ok(Refunded::Created(id))
    }

    /// The request's lines checked one by one, in the order given: each line known, listed
    /// once, in the order's currency and more than zero.
    fn refund_lines(&self, request: &RefundRequest) -> Result<Vec<RefundLine>, RefundError> {
        if request.lines.is_empty() {
            return Err(RefundError::NoLines);
        }
        let mut lines = Vec::with_capacity(request.lines.len());
        let mut listed = BTreeSet::new();
        for wanted in &request.lines {
            let Some(line) = self.line(wanted.line) else {
                return Err(RefundError::UnknownLine(wanted.line));
            };
            if !listed.insert(wanted.line) {
                return Err(RefundError::DuplicateLine(wanted.line));
            }
            if wanted.amount.currency() != self.currency {
                return Err(RefundError::CurrencyMismatch {
                    expected: self.currency,
                    found: wanted.amount.currency(),
                });
            }
            if wanted.amount.amount() <= Decimal::ZERO {
                return Err(RefundError::AmountNotPositive(wanted.line));
            }
            lines.push(RefundLine {
                line: wanted.line,
                sku: line.sku.clone(),
                quantity: wanted.quantity,
                amount: wanted.amount.amount(),
            });
        }
        Ok(lines)
    }

    /// The outcome when `reference` is already used on this order: a replay when the lines
    /// are the same, a conflict otherwise. None for a new reference or none.
    fn refund_replay(
        &self,
        reference: Option<&RefundReference>,
        lines: &[RefundLine],
    ) -> Option<Result<Refunded, RefundError>> {
        let reference = reference?;
        let existing = self
            .refunds
            .iter()
            .find(|r| r.reference.as_ref() == Some(reference))?;
        Some(if existing.lines == lines {
            Ok(Refunded::Replayed(existing.id))
        } else {
            Err(RefundError::ReferenceConflict(reference.clone()))
        })
    }

    /// No line would have more units refunded than were ordered.
    fn check_refund_quantities(&self, lines: &[RefundLine]) -> Result<(), RefundError> {
        for wanted in lines {
            let Some(line) = self.line(wanted.line) else {
                return Err(RefundError::UnknownLine(wanted.line));
            };
            let ordered = line.quantity.get();
            if u64::from(line.refunded) + u64::from(wanted.quantity) > u64::from(ordered) {
                return Err(RefundError::ExceedsQuantity {
                    line: wanted.line,
                    ordered,
                    refunded: line.refunded,
                    requested: wanted.quantity,
                });
            }
        }
        Ok(())
    }

    /// The order would not have more refunded than was paid.
    fn check_refund_paid(&self, lines: &[RefundLine]) -> Result<(), RefundError> {
        let requested = lines
            .iter()
            .fold(Decimal::ZERO, |sum, l| sum.saturating_add(l.amount));
        let paid = self.refundable_total();
        let refunded = self.refunded_total();
        if refunded.saturating_add(requested) > paid {
            return Err(RefundError::ExceedsPaid {
                paid,
                refunded,
                requested,
            });
        }
        Ok(())
    }

    /// Records a checked refund: line tallies, the refund, and its history entry.
    fn apply_refund(
        &mut self,
        request: &RefundRequest,
        lines: Vec<RefundLine>,
        id: RefundId,
        event_id: EventId,
        now: DateTime<Utc>,
    ) {
        for wanted in &lines {
            if let Some(line) = self.lines.get_mut(wanted.line.index()) {
                line.refunded += wanted.quantity;
            }
        }
        let refund = Refund {
            id,
            reference: request.reference.clone(),
            reason: request.reason,
            note: Self::NOTE.clean_opt(request.note.as_deref()),
            lines,
            created_at: now,
        };
        let detail = format!(
            "{} {} refunded ({})",
            refund.total(),
            self.currency,
            request.reason.as_str()
        );
        self.refunds.push(refund);
        self.updated_at = now;
        self.push_event(
            event_id,
            now,
            EventType::Refunded,
            Some(id.as_uuid()),
            detail,
        );
    }

    /// One refund by id.
    #[must_use]
    pub fn refund_by_id(&self, id: RefundId) -> Option<&Refund> {
        self.refunds.iter().find(|r| r.id == id)
    }
}
