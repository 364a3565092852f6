import org.apache.activemq.broker.BrokerFactory;
import org.apache.activemq.broker.BrokerService;

/**
 * Starts ActiveMQ Classic 6 from an activemq.xml (args[0], an xbean:file: URI) and runs until the
 * JVM is told to stop: SIGTERM stops the broker cleanly, kill -9 is a crash. scripts/activemq.sh
 * runs it as a single-file source program (java Launcher.java).
 */
public class Launcher {
  public static void main(String[] args) throws Exception {
    BrokerService broker = BrokerFactory.createBroker(args[0], true);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        broker.stop();
        broker.waitUntilStopped();
      } catch (Exception e) {
        e.printStackTrace();
      }
    }));
    broker.waitUntilStopped();
  }
}
