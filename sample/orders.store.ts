import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';

export interface Order {
  readonly item: string;
  readonly quantity: number;
}

export interface PlacedOrder extends Order {
  readonly id: string;
  readonly total: number;
}

/** The orders the `orders.placed` handler has recorded, in memory. */
@Injectable()
export class OrdersStore {
  private readonly orders: PlacedOrder[] = [];
  private readonly recorded = new Subject<PlacedOrder>();

  /** Every order as it is recorded. */
  get recorded$(): Observable<PlacedOrder> {
    return this.recorded.asObservable();
  }

  record(order: PlacedOrder): void {
    this.orders.push(order);
    this.recorded.next(order);
  }

  all(): readonly PlacedOrder[] {
    return this.orders;
  }
}
