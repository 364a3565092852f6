// order.ts
export interface Order {
  readonly item: string;
  readonly quantity: number;
}
