// javac for a machine with a Java runtime but no JDK tools on its PATH (Debian's
// default-jre-headless has no javac, yet its runtime holds the compiler module that the
// `java File.java` source launcher uses): scripts/jms/fetch-client.sh runs it as
// `java Javac.java ARGS...`, with javac's own arguments.
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

public final class Javac {
  public static void main(String[] args) {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      System.err.println("Javac: this Java runtime has no compiler (the jdk.compiler module): install a JDK (apt-get install -y default-jdk-headless)");
      System.exit(1);
    }
    System.exit(compiler.run(null, null, null, args));
  }
}
