package dev.pushserver.api;

import static dev.pushserver.api.ApiSupport.assertNothingDelivered;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code POST /apps/{id}/users/{user_id}/terminate_connections} (reference §4.7): every connection that is signed in,
 * or is a presence member, as that user gets pusher:error 4009 and a 4009 close; nobody else is touched.
 */
class TerminateConnectionsTest {

    @RegisterExtension
    final TestServer server = TestServer.perTest(TestServer.DEFAULT_APPS);

    SignedRequest.Response terminate(String appId, String key, String secret, String userId) {
        return SignedRequest.post(server.apiPort(), "/apps/" + appId + "/users/" + userId + "/terminate_connections",
                "{}").credentials(key, secret).send();
    }

    static void assertTerminated(Subscriber s) throws Exception {
        JsonNode error = s.ws.nextEvent("pusher:error");
        JsonNode data = error.get("data");
        assertThat(data.isObject()).as("pusher:error data is an object: %s", error).isTrue();
        assertThat(data.get("code").isNumber()).as("code is a number: %s", error).isTrue();
        assertThat(data.get("code").asInt()).isEqualTo(4009);
        assertThat(data.get("message").isTextual()).isTrue();
        assertThat(s.ws.closeCode(5)).as("close code of %s", s.socketId).isEqualTo(4009);
    }

    static void assertStillOpen(Subscriber s) {
        assertThat(s.ws.isOpen()).as("%s is still open", s.socketId).isTrue();
    }

    @Test
    void closesEveryPresenceConnectionOfTheUserAndNoOtherOne() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("presence-x1", "u1");
                Subscriber b = Subscriber.connect(server).subscribe("presence-x2", "u1");
                Subscriber c = Subscriber.connect(server).subscribe("presence-x1", "u1")
                        .subscribe("presence-x2", "u1").subscribe("x-pub");
                Subscriber d = Subscriber.connect(server).subscribe("presence-x1", "u2").subscribe("x-pub");
                Subscriber e = Subscriber.connect(server).subscribe("x-pub");
                Subscriber f = Subscriber.connect(server).subscribe("presence-x1", "u10")) {
            SignedRequest.Response r = terminate("app-1", "key-1", "secret-1", "u1");
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{}");
            assertThat(r.contentType()).startsWith("application/json");

            assertTerminated(a);
            assertTerminated(b);
            assertTerminated(c);

            // the others stay and still get events; u1 has left the presence channel
            assertThat(d.ws.nextEvent("pusher_internal:member_removed").get("data").asText())
                    .contains("\"u1\"");
            assertNothingDelivered(server.apiPort(), "x-pub", d, e);
            assertNothingDelivered(server.apiPort(), "presence-x1", d, f);
            assertStillOpen(d);
            assertStillOpen(e);
            assertStillOpen(f);
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                    SignedRequest.get(server.apiPort(), "/apps/app-1/channels/presence-x1/users").send().json()
                            .get("users").size() == 2);
            JsonNode x2 = SignedRequest.get(server.apiPort(), "/apps/app-1/channels/presence-x2").send().json();
            assertThat(x2.get("occupied").asBoolean()).isFalse();
        }
    }

    @Test
    void closesConnectionsSignedInAsTheUser() throws Exception {
        // reference §4.7: terminate_connections is about users signed in with pusher:signin
        try (Subscriber signedIn = Subscriber.connect(server).signIn("u1", "key-1", "secret-1").subscribe("s-pub");
                Subscriber signedInPresence = Subscriber.connect(server).signIn("u1", "key-1", "secret-1")
                        .subscribe("presence-s", "u1");
                Subscriber otherUser = Subscriber.connect(server).signIn("u2", "key-1", "secret-1")
                        .subscribe("s-pub");
                Subscriber anonymous = Subscriber.connect(server).subscribe("s-pub")) {
            SignedRequest.Response r = terminate("app-1", "key-1", "secret-1", "u1");
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertTerminated(signedIn);
            assertTerminated(signedInPresence);
            assertNothingDelivered(server.apiPort(), "s-pub", otherUser, anonymous);
            assertStillOpen(otherUser);
            assertStillOpen(anonymous);
        }
    }

    @Test
    void worksWithTheSdkAndForUnknownUsers() throws Exception {
        try (com.pusher.rest.Pusher sdk = server.httpClient("app-1", "key-1", "secret-1");
                Subscriber a = Subscriber.connect(server).subscribe("presence-sdk", "sdk-user");
                Subscriber other = Subscriber.connect(server).subscribe("presence-sdk", "someone")) {
            Result nobody = sdk.post("/users/nobody/terminate_connections", "{}");
            assertThat(nobody.getStatus()).as(nobody.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(nobody.getMessage()).isEqualTo("{}");
            Result r = sdk.post("/users/sdk-user/terminate_connections", "{}");
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(r.getMessage()).isEqualTo("{}");
            assertTerminated(a);
            assertStillOpen(other);
        }
    }

    @Test
    void userIdInThePathMayBePercentEncoded() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("presence-mail", "user@example.com");
                Subscriber other = Subscriber.connect(server).subscribe("presence-mail", "user")) {
            SignedRequest.Response r = SignedRequest.post(server.apiPort(),
                    "/apps/app-1/users/user@example.com/terminate_connections", "{}")
                    .urlPath("/apps/app-1/users/user%40example.com/terminate_connections").send();
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertTerminated(a);
            assertStillOpen(other);
        }
    }

    @Test
    void aConnectionThatLeftThePresenceChannelIsNotClosed() throws Exception {
        try (Subscriber left = Subscriber.connect(server).subscribe("presence-left", "u1").subscribe("left-pub");
                Subscriber stays = Subscriber.connect(server).subscribe("presence-left", "u1")) {
            left.unsubscribe("presence-left");
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                    SignedRequest.get(server.apiPort(), "/apps/app-1/channels/presence-left")
                            .param("info", "user_count").send().json().get("user_count").asInt() == 1
                    && SignedRequest.get(server.apiPort(), "/apps/app-1/channels/left-pub")
                            .param("info", "subscription_count").send().json().get("subscription_count").asInt()
                            == 1);
            // unsubscribe has been processed on the server (counts above); now terminate
            SignedRequest.Response r = terminate("app-1", "key-1", "secret-1", "u1");
            assertThat(r.status()).isEqualTo(200);
            assertTerminated(stays);
            assertNothingDelivered(server.apiPort(), "left-pub", left);
            assertStillOpen(left);
        }
    }

    @Test
    void onlyTheAppOfTheRequestIsAffected() throws Exception {
        try (Subscriber app1 = Subscriber.connect(server).subscribe("presence-iso", "u1");
                Subscriber app2 = Subscriber.connect(server, "app-2", "key-2", "secret-2")
                        .subscribe("presence-iso", "u1")) {
            SignedRequest.Response r = terminate("app-2", "key-2", "secret-2", "u1");
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertTerminated(app2);
            assertNothingDelivered(server.apiPort(), "presence-iso", app1);
            assertStillOpen(app1);
        }
    }

    @Test
    void rejectedRequestsCloseNothing() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("presence-rej", "u1")) {
            SignedRequest.Response badSig = SignedRequest.post(server.apiPort(),
                    "/apps/app-1/users/u1/terminate_connections", "{}").signature("0".repeat(64)).send();
            assertThat(badSig.status()).as("%s", badSig).isEqualTo(401);
            badSig.error();
            SignedRequest.Response wrongApp = SignedRequest.post(server.apiPort(),
                    "/apps/app-1/users/u1/terminate_connections", "{}").credentials("key-2", "secret-2").send();
            assertThat(wrongApp.status()).as("%s", wrongApp).isEqualTo(401);
            SignedRequest.Response get = SignedRequest.get(server.apiPort(),
                    "/apps/app-1/users/u1/terminate_connections").send();
            assertThat(get.status()).as("%s", get).isEqualTo(405);
            get.error();
            assertNothingDelivered(server.apiPort(), "presence-rej", a);
            assertStillOpen(a);
        }
    }
}
