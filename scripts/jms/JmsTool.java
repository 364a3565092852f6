// A plain JMS client for the transport's interoperability tests (test/support/jms-client.ts runs
// it): it produces, consumes, requests and replies through a broker's own JMS client, and prints
// what it sends and receives as JSON lines on stdout, one object a line.
//
// The source is written for jakarta.jms (Classic 6's and Artemis' clients); for Classic 5.17,
// whose client is javax.jms, scripts/jms/fetch-client.sh compiles it with the package renamed. It
// uses only the JMS 1.1 API, which both have (Classic 5.17 ships the JMS 1.1 interfaces).
//
//   java -cp CLASSPATH JmsTool COMMAND --factory CLASS --url URL [--user U --password P] [options]
//
// COMMAND:
//   produce   sends --count messages (default 1) to --destination
//   consume   receives --count messages from --destination within --timeout ms, printing each
//   request   sends one message with JMSReplyTo a TemporaryQueue and a JMSCorrelationID, waits
//             --timeout ms for the reply and prints it
//   reply     answers --count requests from --destination: to each one's JMSReplyTo, with its
//             JMSCorrelationID (its JMSMessageID when it has none), the same body type, body and
//             properties (those whose names a JMS client may set), plus the --string/--int/--long/
//             --boolean properties given
// Options:
//   --factory CLASS      the client's ConnectionFactory class; it must have a constructor taking the URL
//   --destination D      queue://NAME or topic://NAME
//   --type text|bytes    a TextMessage (default) or a BytesMessage
//   --body TEXT | --body-base64 B64
//                        the body (bytes as given; text decoded as UTF-8 from base64)
//   --string K=V, --int K=V, --long K=V, --boolean K=V
//                        message properties, repeatable
//   --reply-to D, --correlation-id ID, --persistent true|false (default true)
//   --timeout MS         for consume, request and reply (default 10000)
//
// Every output line is an object with an "event": "ready" (connected, consumer open), "sent"
// (with "messageId", and for a request "replyTo" and "correlationId"), "message" (what was
// received: "type" Text|Bytes|Message, "body" (text, or bytes in base64), "properties" (as JSON
// values), "propertyTypes" (their Java classes), "correlationId", "replyTo", "messageId",
// "destination", "deliveryMode"), "replied". A failure is one line on stderr and a non-zero exit
// status: 2 for a timeout, 1 for anything else. The whole run is bounded too (--timeout + 30 s).
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

public final class JmsTool {
  /** A failure the tool reports itself, with its exit status. */
  static final class Failure extends RuntimeException {
    final int status;

    Failure(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The command line: the command, then --name value pairs (repeatable ones kept in order). */
  static final class Options {
    final String command;
    final Map<String, List<String>> values = new LinkedHashMap<>();

    Options(String[] args) {
      if (args.length == 0) throw new Failure(1, "usage: JmsTool produce|consume|request|reply --factory CLASS --url URL [options]");
      command = args[0];
      for (int i = 1; i < args.length; i++) {
        String name = args[i];
        if (!name.startsWith("--") || i + 1 >= args.length) throw new Failure(1, "expected --option value, got " + name);
        values.computeIfAbsent(name.substring(2), k -> new ArrayList<>()).add(args[++i]);
      }
    }

    String get(String name, String fallback) {
      List<String> given = values.get(name);
      return given == null ? fallback : given.get(given.size() - 1);
    }

    String require(String name) {
      String value = get(name, null);
      if (value == null) throw new Failure(1, command + " needs --" + name);
      return value;
    }

    List<String> all(String name) {
      List<String> given = values.get(name);
      return given == null ? Collections.emptyList() : given;
    }

    int integer(String name, int fallback) {
      String value = get(name, null);
      if (value == null) return fallback;
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new Failure(1, "--" + name + " must be an integer, got " + value);
      }
    }
  }

  public static void main(String[] args) {
    int status;
    try {
      Options options = new Options(args);
      long timeout = options.integer("timeout", 10_000);
      startWatchdog(timeout + 30_000);
      run(options, timeout);
      status = 0;
    } catch (Failure e) {
      System.err.println("JmsTool: " + e.getMessage());
      status = e.status;
    } catch (Exception e) {
      System.err.println("JmsTool: " + describe(e));
      status = 1;
    }
    System.out.flush();
    // The clients' own threads must not keep the JVM alive.
    System.exit(status);
  }

  /** Ends the process if it runs past `millis`, whatever it waits for (a connection, a close). */
  static void startWatchdog(long millis) {
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("JmsTool: still running after " + millis + " ms, giving up");
      System.out.flush();
      Runtime.getRuntime().halt(3);
    }, "JmsTool watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  static void run(Options options, long timeout) throws Exception {
    ConnectionFactory factory = factory(options.require("factory"), options.require("url"));
    String user = options.get("user", null);
    Connection connection = user == null ? factory.createConnection() : factory.createConnection(user, options.get("password", ""));
    try {
      connection.start();
      Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
      switch (options.command) {
        case "produce":
          produce(session, options);
          break;
        case "consume":
          consume(session, options, timeout);
          break;
        case "request":
          request(session, options, timeout);
          break;
        case "reply":
          reply(session, options, timeout);
          break;
        default:
          throw new Failure(1, "unknown command " + options.command + " (produce, consume, request, reply)");
      }
    } finally {
      connection.close();
    }
  }

  static ConnectionFactory factory(String className, String url) throws Exception {
    Object made = Class.forName(className).getConstructor(String.class).newInstance(url);
    if (!(made instanceof ConnectionFactory)) throw new Failure(1, className + " is not a ConnectionFactory");
    return (ConnectionFactory) made;
  }

  static Destination destination(Session session, String name) throws JMSException {
    if (name.startsWith("queue://")) return session.createQueue(name.substring("queue://".length()));
    if (name.startsWith("topic://")) return session.createTopic(name.substring("topic://".length()));
    throw new Failure(1, "a destination is queue://NAME or topic://NAME, got " + name);
  }

  // ---- commands ----

  static void produce(Session session, Options options) throws JMSException {
    MessageProducer producer = session.createProducer(destination(session, options.require("destination")));
    producer.setDeliveryMode(Boolean.parseBoolean(options.get("persistent", "true")) ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
    int count = options.integer("count", 1);
    for (int i = 0; i < count; i++) {
      Message message = newMessage(session, options);
      String replyTo = options.get("reply-to", null);
      if (replyTo != null) message.setJMSReplyTo(destination(session, replyTo));
      String correlationId = options.get("correlation-id", null);
      if (correlationId != null) message.setJMSCorrelationID(correlationId);
      producer.send(message);
      Map<String, Object> sent = event("sent");
      sent.put("messageId", message.getJMSMessageID());
      print(sent);
    }
  }

  static void consume(Session session, Options options, long timeout) throws JMSException {
    MessageConsumer consumer = session.createConsumer(destination(session, options.require("destination")));
    print(event("ready"));
    int count = options.integer("count", 1);
    long deadline = System.currentTimeMillis() + timeout;
    for (int received = 0; received < count; received++) {
      Message message = receive(consumer, deadline);
      if (message == null) throw new Failure(2, "received " + received + " of " + count + " messages within " + timeout + " ms");
      print(describe(message));
    }
  }

  static void request(Session session, Options options, long timeout) throws JMSException {
    TemporaryQueue replies = session.createTemporaryQueue();
    MessageConsumer consumer = session.createConsumer(replies);
    MessageProducer producer = session.createProducer(destination(session, options.require("destination")));
    producer.setDeliveryMode(Boolean.parseBoolean(options.get("persistent", "false")) ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
    Message request = newMessage(session, options);
    String correlationId = options.get("correlation-id", UUID.randomUUID().toString());
    request.setJMSReplyTo(replies);
    request.setJMSCorrelationID(correlationId);
    producer.send(request);
    Map<String, Object> sent = event("sent");
    sent.put("messageId", request.getJMSMessageID());
    sent.put("replyTo", name(replies));
    sent.put("correlationId", correlationId);
    print(sent);
    Message reply = receive(consumer, System.currentTimeMillis() + timeout);
    if (reply == null) throw new Failure(2, "no reply on " + name(replies) + " within " + timeout + " ms");
    print(describe(reply));
  }

  static void reply(Session session, Options options, long timeout) throws JMSException {
    MessageConsumer consumer = session.createConsumer(destination(session, options.require("destination")));
    // One producer for every reply-to: the destination is given on each send.
    MessageProducer producer = session.createProducer(null);
    producer.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
    print(event("ready"));
    int count = options.integer("count", 1);
    long deadline = System.currentTimeMillis() + timeout;
    for (int served = 0; served < count; served++) {
      Message request = receive(consumer, deadline);
      if (request == null) throw new Failure(2, "served " + served + " of " + count + " requests within " + timeout + " ms");
      Destination replyTo = request.getJMSReplyTo();
      if (replyTo == null) throw new Failure(1, "request " + request.getJMSMessageID() + " has no JMSReplyTo");
      Message answer = echo(session, request);
      setProperties(answer, options);
      String correlationId = request.getJMSCorrelationID() != null ? request.getJMSCorrelationID() : request.getJMSMessageID();
      answer.setJMSCorrelationID(correlationId);
      producer.send(replyTo, answer);
      Map<String, Object> replied = event("replied");
      replied.put("request", describe(request));
      replied.put("replyTo", name(replyTo));
      replied.put("correlationId", correlationId);
      print(replied);
    }
  }

  // ---- messages ----

  static Message receive(MessageConsumer consumer, long deadline) throws JMSException {
    long left = deadline - System.currentTimeMillis();
    return left <= 0 ? consumer.receiveNoWait() : consumer.receive(left);
  }

  static Message newMessage(Session session, Options options) throws JMSException {
    String type = options.get("type", "text");
    byte[] body = body(options);
    Message message;
    if (type.equals("text")) {
      message = session.createTextMessage(new String(body, StandardCharsets.UTF_8));
    } else if (type.equals("bytes")) {
      BytesMessage bytes = session.createBytesMessage();
      bytes.writeBytes(body);
      message = bytes;
    } else {
      throw new Failure(1, "--type is text or bytes, got " + type);
    }
    setProperties(message, options);
    return message;
  }

  static byte[] body(Options options) {
    String base64 = options.get("body-base64", null);
    if (base64 != null) return Base64.getDecoder().decode(base64);
    return options.get("body", "").getBytes(StandardCharsets.UTF_8);
  }

  static void setProperties(Message message, Options options) throws JMSException {
    for (String pair : options.all("string")) message.setStringProperty(key(pair), value(pair));
    for (String pair : options.all("int")) message.setIntProperty(key(pair), Integer.parseInt(value(pair)));
    for (String pair : options.all("long")) message.setLongProperty(key(pair), Long.parseLong(value(pair)));
    for (String pair : options.all("boolean")) message.setBooleanProperty(key(pair), Boolean.parseBoolean(value(pair)));
  }

  static String key(String pair) {
    int at = pair.indexOf('=');
    if (at <= 0) throw new Failure(1, "a property is NAME=VALUE, got " + pair);
    return pair.substring(0, at);
  }

  static String value(String pair) {
    return pair.substring(pair.indexOf('=') + 1);
  }

  /** A reply of the request's type with its body and its application properties. */
  static Message echo(Session session, Message request) throws JMSException {
    Message answer;
    if (request instanceof TextMessage) {
      answer = session.createTextMessage(((TextMessage) request).getText());
    } else if (request instanceof BytesMessage) {
      BytesMessage bytes = session.createBytesMessage();
      bytes.writeBytes(bytesOf((BytesMessage) request));
      answer = bytes;
    } else {
      throw new Failure(1, "request " + request.getJMSMessageID() + " is neither a TextMessage nor a BytesMessage");
    }
    for (Map.Entry<String, Object> property : properties(request).entrySet()) {
      // A JMS property name is a Java identifier (JMS specification, "Message properties"); a
      // broker may show a STOMP header such as `content-type` among them, which cannot be set.
      if (isIdentifier(property.getKey())) answer.setObjectProperty(property.getKey(), property.getValue());
    }
    return answer;
  }

  static boolean isIdentifier(String name) {
    if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))) return false;
    for (int i = 1; i < name.length(); i++) if (!Character.isJavaIdentifierPart(name.charAt(i))) return false;
    return true;
  }

  static byte[] bytesOf(BytesMessage message) throws JMSException {
    message.reset();
    byte[] bytes = new byte[(int) message.getBodyLength()];
    message.readBytes(bytes);
    return bytes;
  }

  /**
   * The message's application properties. JMSX* and JMS_* names are the provider's (the JMS
   * specification reserves them), so they are left out: a reply cannot set them.
   */
  static Map<String, Object> properties(Message message) throws JMSException {
    Map<String, Object> properties = new TreeMap<>();
    for (Enumeration<?> names = message.getPropertyNames(); names.hasMoreElements(); ) {
      String name = (String) names.nextElement();
      if (name.startsWith("JMSX") || name.startsWith("JMS_")) continue;
      properties.put(name, message.getObjectProperty(name));
    }
    return properties;
  }

  static Map<String, Object> describe(Message message) throws JMSException {
    Map<String, Object> out = event("message");
    if (message instanceof TextMessage) {
      out.put("type", "Text");
      out.put("body", ((TextMessage) message).getText());
    } else if (message instanceof BytesMessage) {
      out.put("type", "Bytes");
      out.put("body", Base64.getEncoder().encodeToString(bytesOf((BytesMessage) message)));
    } else {
      out.put("type", "Message");
      out.put("body", null);
    }
    Map<String, Object> properties = properties(message);
    Map<String, Object> types = new TreeMap<>();
    for (Map.Entry<String, Object> property : properties.entrySet()) {
      types.put(property.getKey(), property.getValue() == null ? null : property.getValue().getClass().getSimpleName());
    }
    out.put("properties", properties);
    out.put("propertyTypes", types);
    out.put("correlationId", message.getJMSCorrelationID());
    out.put("replyTo", message.getJMSReplyTo() == null ? null : name(message.getJMSReplyTo()));
    out.put("messageId", message.getJMSMessageID());
    out.put("destination", message.getJMSDestination() == null ? null : name(message.getJMSDestination()));
    out.put("deliveryMode", message.getJMSDeliveryMode() == DeliveryMode.PERSISTENT ? "persistent" : "non-persistent");
    return out;
  }

  /** A destination as the tool writes them: queue://, topic://, temp-queue://, temp-topic://. */
  static String name(Destination destination) throws JMSException {
    if (destination instanceof TemporaryQueue) return "temp-queue://" + ((TemporaryQueue) destination).getQueueName();
    if (destination instanceof TemporaryTopic) return "temp-topic://" + ((TemporaryTopic) destination).getTopicName();
    if (destination instanceof Queue) return "queue://" + ((Queue) destination).getQueueName();
    if (destination instanceof Topic) return "topic://" + ((Topic) destination).getTopicName();
    return destination.toString();
  }

  static String describe(Throwable error) {
    StringBuilder text = new StringBuilder(String.valueOf(error));
    for (Throwable cause = error.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
      text.append("; caused by ").append(cause);
    }
    return text.toString();
  }

  // ---- output ----

  static Map<String, Object> event(String name) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("event", name);
    return out;
  }

  static void print(Map<String, Object> object) {
    StringBuilder line = new StringBuilder();
    json(line, object);
    System.out.println(line);
    System.out.flush();
  }

  /** JSON, ASCII only (\\u escapes), so the output does not depend on the platform's charset. */
  static void json(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      out.append(value);
    } else if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      if (Double.isNaN(number) || Double.isInfinite(number)) json(out, String.valueOf(number));
      else out.append(number);
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        if (!first) out.append(',');
        first = false;
        json(out, String.valueOf(entry.getKey()));
        out.append(':');
        json(out, entry.getValue());
      }
      out.append('}');
    } else {
      String text = value instanceof byte[] ? Base64.getEncoder().encodeToString((byte[]) value) : value.toString();
      out.append('"');
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '"' || c == '\\') out.append('\\').append(c);
        else if (c >= 0x20 && c < 0x7f) out.append(c);
        else out.append(String.format("\\u%04x", (int) c));
      }
      out.append('"');
    }
  }
}
