/**
 * nestjs-activemq: the NestJS microservice transport for Apache ActiveMQ over STOMP 1.2.
 * This file is the public API, nothing else.
 */
export * from './stomp/index.js';
export * from './uri/index.js';
