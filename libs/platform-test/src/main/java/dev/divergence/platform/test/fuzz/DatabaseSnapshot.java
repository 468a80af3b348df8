package dev.divergence.platform.test.fuzz;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;

/**
 * A fingerprint of every row of a service's tables (row count and an MD5 of the rows as JSON, in a
 * fixed order), cheap enough to take after each of thousands of requests, so a fuzzer can tell which
 * table a rejected request changed. Columns that background work updates on its own schedule (the
 * outbox relay's {@code published_at}, ...) can be left out.
 */
public final class DatabaseSnapshot {

  private final DataSource dataSource;
  private final String query;

  private DatabaseSnapshot(DataSource dataSource, String query) {
    this.dataSource = dataSource;
    this.query = query;
  }

  /** Every base table of {@code schema} except Flyway's history, without {@code ignoredColumns}. */
  public static DatabaseSnapshot of(DataSource dataSource, String schema, Set<String> ignoredColumns) {
    List<String> tables = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
         var statement = connection.prepareStatement("SELECT table_name FROM information_schema.tables "
             + "WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'flyway%' ORDER BY 1")) {
      statement.setString(1, schema);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          tables.add(rows.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not list the tables of schema " + schema, e);
    }
    if (tables.isEmpty()) {
      throw new IllegalStateException("schema " + schema + " has no tables to watch");
    }
    StringBuilder without = new StringBuilder();
    ignoredColumns.stream().sorted().forEach(column -> without.append(" - '").append(column.replace("'", "''")).append('\''));
    StringBuilder sql = new StringBuilder();
    for (String table : tables) {
      if (!sql.isEmpty()) {
        sql.append(" UNION ALL ");
      }
      String row = "(to_jsonb(t)" + without + ")::text";
      sql.append("SELECT '").append(table).append("', count(*), md5(coalesce(string_agg(").append(row)
          .append(", E'\\n' ORDER BY ").append(row).append("), '')) FROM \"").append(schema).append("\".\"")
          .append(table).append("\" t");
    }
    return new DatabaseSnapshot(dataSource, sql.toString());
  }

  /** Table name → "rows:md5". */
  public Map<String, String> take() {
    Map<String, String> fingerprint = new LinkedHashMap<>();
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery(query)) {
      while (rows.next()) {
        fingerprint.put(rows.getString(1), rows.getLong(2) + ":" + rows.getString(3));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not snapshot the tables", e);
    }
    return fingerprint;
  }

  /** Follows the tables from now on, request by request. */
  public Watch watch() {
    return new Watch(this);
  }

  /**
   * The tables between one fuzzed request and the next: a rejected request is judged by what it changed,
   * an accepted one is let settle first (see {@link #settled}) so that its own work is not blamed on the next.
   */
  public static final class Watch {
    private final DatabaseSnapshot database;
    private Map<String, String> before;

    private Watch(DatabaseSnapshot database) {
      this.database = database;
      this.before = database.take();
    }

    /** The tables the request just answered changed if it was rejected; empty if it was accepted. */
    public List<String> changedBy(boolean rejected) {
      if (!rejected) {
        before = database.settled(2000);
        return List.of();
      }
      Map<String, String> after = database.take();
      List<String> changed = changedTables(before, after);
      before = after;
      return changed;
    }
  }

  /** The tables whose rows differ between two snapshots. */
  public static List<String> changedTables(Map<String, String> before, Map<String, String> after) {
    List<String> changed = new ArrayList<>();
    before.forEach((table, fingerprint) -> {
      if (!Objects.equals(fingerprint, after.get(table))) {
        changed.add(table);
      }
    });
    return changed;
  }

  /**
   * Takes snapshots until two in a row agree (at most {@code maxWaitMillis}): after an accepted request,
   * the work it started (an outbox row being published, a model loading) settles before the next
   * rejected request is judged.
   */
  public Map<String, String> settled(long maxWaitMillis) {
    long deadline = System.nanoTime() + maxWaitMillis * 1_000_000;
    Map<String, String> previous = take();
    while (System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      Map<String, String> current = take();
      if (current.equals(previous)) {
        return current;
      }
      previous = current;
    }
    return previous;
  }
}
