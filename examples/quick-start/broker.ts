// broker.ts: the one URI the app's client and server use
// 'vm://localhost' is the embedded broker, in this process: nothing to install, for development.
// On ActiveMQ, write its STOMP URI instead, such as 'stomp://admin:admin@localhost:61613'.
export const BROKER_URI = 'vm://localhost';
