import io.panago.*;
import io.panago.sync.*;
import io.panago.context.*;
import io.panago.time.*;
import io.panago.net.*;
import java.time.Duration;
import static io.panago.Select.*;
