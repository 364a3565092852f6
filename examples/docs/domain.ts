// The app's own types, as the examples of docs/ use them.
export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly item: string;
  readonly quantity: number;
  readonly total: number;
}

export interface Price {
  readonly symbol: string;
  readonly value: number;
}

export interface Job {
  readonly id: string;
  readonly kind: string;
}

export interface Click {
  readonly page: string;
  readonly at: number;
}

export interface AuditEntry {
  readonly action: string;
  readonly orderId: string;
}

export interface Reminder {
  readonly text: string;
}
